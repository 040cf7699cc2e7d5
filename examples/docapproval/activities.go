package docapproval

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/idem"
	"github.com/durable-llm/durable-llm/llm"
)

// Registered names of the workflow and its activities. They are stable wire
// names: starters and other workers refer to them.
const (
	// WorkflowName is the review workflow, [Review].
	WorkflowName = "docapproval.Review"
	// ActivityDraft is [Activities.Draft].
	ActivityDraft = "docapproval.Draft"
	// ActivityRevise is [Activities.Revise].
	ActivityRevise = "docapproval.Revise"
	// ActivityPersist is [Activities.Persist].
	ActivityPersist = "docapproval.Persist"
)

// TaskQueue is the task queue the worker and starter of this example use.
const TaskQueue = "docapproval"

// Sources of a [Document] version, as in the seed.
const (
	SourceDraft    = "llm"
	SourceRevision = "llm_revision"
)

// Prompts sent to the model.
const (
	// DraftSystem is the system message of the draft call.
	DraftSystem = "You write clear, concise, professional documents. Answer with the document only."
	// ReviseSystem is the system message of a revision call.
	ReviseSystem = "Apply the reviewer's edits faithfully. Keep the structure, improve clarity and " +
		"do not invent facts. Answer with the full revised document only."
)

// Document is one version of the document under review: the artifact of
// the hitl review loop. Its Excerpt is what reviewers see in the status.
type Document struct {
	// DocID and Version identify the version; Version starts at 1.
	DocID   string `json:"doc_id"`
	Version int    `json:"version"`
	// Text is the document when it travels inline (at most
	// Config.InlineBytes); empty when Ref is set.
	Text string `json:"text,omitempty"`
	// Ref locates a longer text in the [Drafts] store the workers share
	// (workflow history then holds its key, hash, size and head, not the
	// text). Read it with [Activities.Text] or [LoadText].
	Ref *hitl.DraftRef `json:"ref,omitempty"`
	// Source is [SourceDraft] for version 1, [SourceRevision] after.
	Source string `json:"source"`
	// Model is the provider's id of the model that wrote this version;
	// Offline is set when it was the offline model.
	Model   string `json:"model"`
	Offline bool   `json:"offline,omitempty"`
	// Call is the usage of the LLM call that wrote this version; Usage
	// sums the calls of every version up to this one, the interrupted ones
	// included (the workflow keeps it; an activity's result holds Call
	// only).
	Call  llm.Usage `json:"call"`
	Usage llm.Usage `json:"usage,omitzero"`
	// Interrupted is the usage of the generations a reviewer stopped or
	// redirected since the version before (see "Steering and the live view" in
	// the package docs): what this version cost beyond Call. Their partial texts are
	// recorded in the history of the cancelled activities.
	Interrupted llm.Usage `json:"interrupted,omitzero"`
	// Stopped marks a text whose generation a reviewer stopped: it is what
	// the model had written by then. Only the first draft becomes a
	// version when stopped; a stopped revision leaves the review on the
	// version it revised.
	Stopped bool `json:"stopped,omitempty"`
}

// Excerpt implements hitl.Excerpter: the status shows the head of the text.
func (d Document) Excerpt() string {
	if d.Ref != nil {
		return d.Ref.Head
	}
	return d.Text
}

// Size is the length of the text in bytes, inline or by reference.
func (d Document) Size() int {
	if d.Ref != nil {
		return d.Ref.Size
	}
	return len(d.Text)
}

// DraftInput is the input of [Activities.Draft].
type DraftInput struct {
	DocID  string `json:"doc_id"`
	Prompt string `json:"prompt"`
	// Model is the configured llm model name; empty means the default.
	Model string `json:"model,omitempty"`
	// StreamTopic, when set, streams the answer to the workflow's stream
	// under this topic while it is written, on workers whose
	// [Config.Live] is set (the workflow sets it: it hosts the stream).
	StreamTopic string `json:"stream_topic,omitempty"`
	// Redirects are the messages of the reviewers who redirected this
	// draft while it was written, oldest first ([DraftPrompt] adds them).
	Redirects []string `json:"redirects,omitempty"`
}

// ReviseInput is the input of [Activities.Revise].
type ReviseInput struct {
	DocID string `json:"doc_id"`
	// Version is the version the revision produces.
	Version int `json:"version"`
	// Base is the text of the version being revised, or BaseRef where it
	// is in the [Drafts] store.
	Base    string         `json:"base,omitempty"`
	BaseRef *hitl.DraftRef `json:"base_ref,omitempty"`
	// Instructions are the reviewer's edits; Text, when set, is text the
	// reviewer wrote to replace or extend the document.
	Instructions string `json:"instructions,omitempty"`
	Text         string `json:"text,omitempty"`
	Model        string `json:"model,omitempty"`
	// StreamTopic is [DraftInput.StreamTopic].
	StreamTopic string `json:"stream_topic,omitempty"`
	// Redirects are the messages of the reviewers who redirected this
	// revision while it was written, oldest first ([RevisePrompt] adds
	// them after the instructions).
	Redirects []string `json:"redirects,omitempty"`
}

// PersistInput is the input of [Activities.Persist].
type PersistInput struct {
	DocID   string `json:"doc_id"`
	Version int    `json:"version"`
	// Content is the approved text, or ContentRef where it is in the
	// [Drafts] store.
	Content    string         `json:"content,omitempty"`
	ContentRef *hitl.DraftRef `json:"content_ref,omitempty"`
	ApprovedBy string         `json:"approved_by,omitempty"`
	WorkflowID string         `json:"workflow_id,omitempty"`
	// FailFirstAttempt injects one transient failure (see
	// [Input.InjectTransientFailure]).
	FailFirstAttempt bool `json:"fail_first_attempt,omitempty"`
}

// PersistResult is what [Activities.Persist] returns.
type PersistResult struct {
	// Record is the record on disk without its Content (the workflow already
	// holds the approved text; echoing it back would put it in history twice
	// and halve the largest draft a review can carry). Record.SHA256 names
	// the content; read it with [Store.Get].
	Record Record `json:"record"`
	// Path is its file.
	Path string `json:"path"`
	// Created is false when an earlier attempt (or run) had written it.
	Created bool `json:"created"`
	// Attempt is the activity attempt that returned.
	Attempt int32 `json:"attempt"`
}

// Config configures [NewActivities].
type Config struct {
	// Dir holds the approved documents (<doc_id>_<version>.json) and,
	// unless Idem is set, the idempotency records of the LLM calls (in
	// Dir/idem). Required.
	Dir string
	// LLM configures the models. A zero Config (no Models) means
	// llm.FromEnv(): OPENAI_API_KEY / OPENAI_BASE_URL / OPENAI_MODEL when
	// set, else the offline model.
	LLM llm.Config
	// Idem records each LLM call under its (doc_id, version) key, so a call
	// whose answer was paid for is never bought again: not on a retry after
	// a crash, not when the same review is re-run. Use a store every worker
	// of the task queue shares. Nil means idem.NewFileStore(Dir/idem).
	Idem idem.Store
	// Drafts keeps the texts longer than InlineBytes, which workflow
	// history then holds by reference. Use a store every worker of the task
	// queue, and the review pages, share. Nil means NewFileDrafts(Dir/drafts).
	Drafts Drafts
	// Live streams the model's text to the review workflow while it is
	// written (the workflow asks for it: DraftInput.StreamTopic), so the
	// review page shows it word by word. It is off by default for what it
	// costs: every draft's text reaches the workflow's history a second
	// time, as the stream's signals. docs/BENCHMARKS.md measured 30.4 KB
	// and 17.2 events of history per review round with it against 2.4 KB
	// and 11.0 without (the baseline: 41.3 KB and 10.0), and about 7× the
	// worker CPU. Off, the page says the version is being written and
	// shows it when it lands; stop and redirect work either way. Leave it
	// off where no workflow can take the stream's signals, such as
	// workflow unit tests on testsuite, whose activities' client is a
	// mock.
	Live bool
	// InlineBytes is the longest draft recorded inline in workflow history.
	// 0 means [DefaultInlineBytes]; negative keeps every draft inline (each
	// round of review then records the text twice: the revision's input
	// and its result).
	InlineBytes int
}

// Activities are the worker side of the example: the LLM calls and the
// approved-document store. Build them with [NewActivities] and register
// them with [Register]. They are safe for concurrent use.
type Activities struct {
	store  *Store
	drafts Drafts
	idem   idem.Store
	inline int
	live   bool
	llm    *llm.Activities
	desc   string
	draft  func(context.Context, DraftInput) (Document, error)
	revise func(context.Context, ReviseInput) (Document, error)
}

// NewActivities validates cfg, builds the model clients and opens the
// stores.
func NewActivities(cfg Config) (*Activities, error) {
	store, err := NewStore(cfg.Dir)
	if err != nil {
		return nil, err
	}
	if len(cfg.LLM.Models) == 0 {
		cfg.LLM = llm.FromEnv()
	}
	la, err := llm.NewActivities(cfg.LLM)
	if err != nil {
		return nil, err
	}
	is := cfg.Idem
	if is == nil {
		fs, err := idem.NewFileStore(filepath.Join(cfg.Dir, "idem"))
		if err != nil {
			return nil, err
		}
		is = fs
	}
	drafts := cfg.Drafts
	if drafts == nil {
		fd, err := NewFileDrafts(filepath.Join(cfg.Dir, "drafts"))
		if err != nil {
			return nil, err
		}
		drafts = fd
	}
	inline := cfg.InlineBytes
	if inline == 0 {
		inline = DefaultInlineBytes
	}
	a := &Activities{store: store, drafts: drafts, idem: is, inline: inline, live: cfg.Live, llm: la, desc: cfg.LLM.Describe()}
	// Failures are not recorded: a revision refused by the provider leaves
	// the review on the same version, and the next edit reuses its key.
	a.draft = idem.Wrap(is, a.draftOnce, idem.WithKey(DraftKey), idem.WithRecordFailures(false))
	a.revise = idem.Wrap(is, a.reviseOnce, idem.WithKey(ReviseKey), idem.WithRecordFailures(false))
	return a, nil
}

// Store returns the approved-document store.
func (a *Activities) Store() *Store { return a.store }

// Drafts returns the store of drafts passed by reference.
func (a *Activities) Drafts() Drafts { return a.drafts }

// Idem returns the idempotency store of the LLM calls (Config.Idem, or the
// file store in Dir/idem), which the review pages can share to record used
// review links (ReviewAuth.Links).
func (a *Activities) Idem() idem.Store { return a.idem }

// Text returns the text of doc, from the [Drafts] store when doc holds a
// reference (checked against its hash). It runs in worker or client code.
func (a *Activities) Text(ctx context.Context, doc Document) (string, error) {
	return LoadText(ctx, a.drafts, doc)
}

// LoadText returns the text of doc: Text, or the text its Ref names in
// drafts, checked against its hash. It runs in worker or client code.
func LoadText(ctx context.Context, drafts Drafts, doc Document) (string, error) {
	if doc.Ref == nil {
		return doc.Text, nil
	}
	if drafts == nil {
		return "", fmt.Errorf("%w: %s v%d is stored by reference (%s) and no draft store was given", ErrDraftNotFound, doc.DocID, doc.Version, doc.Ref.Key)
	}
	return loadDraft(ctx, drafts, doc.Ref)
}

// Describe says where the LLM calls go (one line per model), for logs.
func (a *Activities) Describe() string { return a.desc }

// WorkerOptions returns o with the heartbeat throttling capped at the llm
// heartbeat interval (llm.Activities.WorkerOptions): a reviewer's stop or
// redirect reaches the model call within one interval (2 s by default)
// instead of up to 8 s. Build the worker that registers a with them:
//
//	w := worker.New(c, docapproval.TaskQueue, acts.WorkerOptions(worker.Options{}))
func (a *Activities) WorkerOptions(o worker.Options) worker.Options {
	return a.llm.WorkerOptions(o)
}

// Register registers [Review] and the activities of acts on r under their
// wire names ([WorkflowName], [ActivityDraft], [ActivityRevise],
// [ActivityPersist]).
func Register(r worker.Registry, acts *Activities) {
	RegisterWorkflow(r)
	acts.Register(r)
}

// Register registers the activities on r under [ActivityDraft],
// [ActivityRevise] and [ActivityPersist].
func (a *Activities) Register(r worker.ActivityRegistry) {
	r.RegisterActivityWithOptions(a.Draft, activity.RegisterOptions{Name: ActivityDraft})
	r.RegisterActivityWithOptions(a.Revise, activity.RegisterOptions{Name: ActivityRevise})
	r.RegisterActivityWithOptions(a.Persist, activity.RegisterOptions{Name: ActivityPersist})
}

// DraftKey is the idempotency key of the draft call:
// docapproval/<doc_id>/v1/draft, and docapproval/<doc_id>/v1/draft/r<n>
// after n redirects.
func DraftKey(_ context.Context, in DraftInput) (string, error) {
	return "docapproval/" + in.DocID + "/v1/draft" + redirected(in.Redirects), nil
}

// ReviseKey is the idempotency key of a revision:
// docapproval/<doc_id>/v<version>/revise, and
// docapproval/<doc_id>/v<version>/revise/r<n> after n redirects.
func ReviseKey(_ context.Context, in ReviseInput) (string, error) {
	return "docapproval/" + in.DocID + "/v" + strconv.Itoa(in.Version) + "/revise" + redirected(in.Redirects), nil
}

// redirected is the key suffix of a call after redirects: a redirected
// call asks something else, so it must not meet the answer recorded for
// the call it replaces (which a redirect that came too late finds
// finished).
func redirected(redirects []string) string {
	if len(redirects) == 0 {
		return ""
	}
	return "/r" + strconv.Itoa(len(redirects))
}

// Draft writes version 1 of the document with one LLM call, at most once
// per doc_id: a retry or a re-run with the same prompt gets the recorded
// answer without a new call. A short prompt or bad doc_id fails with a
// non-retryable [ErrTypeInvalidInput] error; LLM failures keep the llm
// package's error types (llm.IsRetryable and friends).
//
// When its workflow cancels it (a reviewer's stop or redirect), the call
// stops: on the background Responses API the provider's response is
// cancelled, which stops the billing. It then returns a
// *temporal.CanceledError whose details are the [Document] of what the
// model had written ([Document.Stopped], Call the usage billed so far),
// which reaches a workflow that waits for the cancellation.
func (a *Activities) Draft(ctx context.Context, in DraftInput) (Document, error) {
	if err := (Input{DocID: in.DocID, Prompt: in.Prompt}).Validate(); err != nil {
		return Document{}, invalidInput(err)
	}
	return a.draft(ctx, in)
}

func (a *Activities) draftOnce(ctx context.Context, in DraftInput) (Document, error) {
	resp, err := a.llm.Complete(ctx, a.request(in.Model, DraftSystem, DraftPrompt(in), "draft v1", len(in.Redirects), in.StreamTopic))
	if err != nil {
		return Document{}, a.stopped(ctx, in.DocID, 1, SourceDraft, err) // else a classified *temporal.ApplicationError: returned unwrapped
	}
	return a.document(ctx, in.DocID, 1, SourceDraft, resp)
}

// Revise writes version in.Version from in.Base and the reviewer's edits
// with one LLM call, at most once per (doc_id, version). It stops when its
// workflow cancels it, as [Activities.Draft] does.
func (a *Activities) Revise(ctx context.Context, in ReviseInput) (Document, error) {
	if err := validateDocID(in.DocID); err != nil {
		return Document{}, invalidInput(err)
	}
	if strings.TrimSpace(in.Instructions) == "" && strings.TrimSpace(in.Text) == "" {
		return Document{}, invalidInput(&InputError{Field: "edit", Problem: "no instructions and no text: say what to change"})
	}
	if in.Version < 2 {
		return Document{}, invalidInput(&InputError{Field: "version", Problem: fmt.Sprintf("%d: a revision produces version 2 or later", in.Version)})
	}
	return a.revise(ctx, in)
}

func (a *Activities) reviseOnce(ctx context.Context, in ReviseInput) (Document, error) {
	if in.BaseRef != nil {
		base, err := loadForActivity(ctx, a.drafts, in.BaseRef)
		if err != nil {
			return Document{}, err
		}
		in.Base, in.BaseRef = base, nil
	}
	resp, err := a.llm.Complete(ctx, a.request(in.Model, ReviseSystem, RevisePrompt(in), "revise v"+strconv.Itoa(in.Version), len(in.Redirects), in.StreamTopic))
	if err != nil {
		return Document{}, a.stopped(ctx, in.DocID, in.Version, SourceRevision, err)
	}
	return a.document(ctx, in.DocID, in.Version, SourceRevision, resp)
}

// request is the LLM request of a draft or revision. With [Config.Live]
// the answer streams to the workflow's stream under topic, and the
// review page shows it as it is written.
func (a *Activities) request(model, system, prompt, summary string, redirects int, topic string) llm.Request {
	if redirects > 0 {
		summary += fmt.Sprintf(" (redirect %d)", redirects) // the live page starts the new call's text afresh
	}
	live := a.live && topic != ""
	if !live {
		topic = ""
	}
	return llm.Request{Model: model, System: system, Prompt: prompt, Summary: summary, Stream: live, StreamTopic: topic}
}

// stoppedSaveTimeout bounds storing the partial text of a stopped call,
// which runs after the activity's context was cancelled.
const stoppedSaveTimeout = 10 * time.Second

// stopped is the error to return for err, the failure of a draft or
// revision call: when the workflow cancelled the call and the llm
// activities reported what it had written (a *temporal.CanceledError
// holding an llm.Response), a *temporal.CanceledError holding the
// [Document] of that partial text, long texts stored in the [Drafts] store
// as any version's; else err itself.
func (a *Activities) stopped(ctx context.Context, docID string, version int, source string, err error) error {
	var ce *temporal.CanceledError
	if !errors.As(err, &ce) || !ce.HasDetails() {
		return err
	}
	var partial llm.Response
	if ce.Details(&partial) != nil {
		return err
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stoppedSaveTimeout)
	defer cancel()
	doc, derr := a.document(sctx, docID, version, source, partial)
	if derr != nil { // keep the usage; the text is lost with the store
		if activity.IsActivity(ctx) {
			activity.GetLogger(ctx).Warn("docapproval: the partial text of a stopped call was not stored", "doc_id", docID, "version", version, "error", derr)
		}
		doc = Document{DocID: docID, Version: version, Source: source, Model: partial.Model, Offline: partial.Offline}
		doc.Call.Add(partial)
	}
	doc.Stopped = true
	return temporal.NewCanceledError(doc)
}

// DraftPrompt is the user message of the draft call: the reviewer's prompt
// first, then the redirects if any, then how to write it.
func DraftPrompt(in DraftInput) string {
	var b strings.Builder
	b.WriteString(strings.TrimSpace(in.Prompt))
	b.WriteString("\n\n")
	writeRedirects(&b, in.Redirects)
	b.WriteString("Write it as a clear, concise document. Tone: professional.")
	return b.String()
}

// RedirectHeading introduces, in a prompt, the messages of the reviewers
// who redirected the call while it was written.
const RedirectHeading = "--- Redirected while it was written ---"

func writeRedirects(b *strings.Builder, redirects []string) {
	if len(redirects) == 0 {
		return
	}
	b.WriteString(RedirectHeading)
	b.WriteString("\n")
	for _, m := range redirects {
		b.WriteString(strings.TrimSpace(m))
		b.WriteString("\n")
	}
	b.WriteString("\n")
}

// RevisePrompt is the user message of a revision: the edits first, then
// the redirects if any, then the reviewer's text if any, then the current
// draft.
func RevisePrompt(in ReviseInput) string {
	var b strings.Builder
	if s := strings.TrimSpace(in.Instructions); s != "" {
		b.WriteString(s)
		b.WriteString("\n\n")
	}
	writeRedirects(&b, in.Redirects)
	if s := strings.TrimSpace(in.Text); s != "" {
		b.WriteString("--- Text from the reviewer ---\n")
		b.WriteString(s)
		b.WriteString("\n\n")
	}
	b.WriteString("--- Current draft ---\n")
	b.WriteString(in.Base)
	b.WriteString("\n\nApply the edits above to the current draft and answer with the full revised document.")
	return b.String()
}

// document is the version the model answered; a text longer than the
// inline limit goes to the draft store first (inside the idem-wrapped call,
// so the recorded answer is the reference, and the text is durable before
// it is).
func (a *Activities) document(ctx context.Context, docID string, version int, source string, resp llm.Response) (Document, error) {
	var u llm.Usage
	u.Add(resp)
	doc := Document{
		DocID: docID, Version: version, Text: resp.Text, Source: source,
		Model: resp.Model, Offline: resp.Offline, Call: u, // the workflow sums Usage
	}
	ref, err := putDraft(ctx, a.drafts, a.inline, docID, version, resp.Text)
	if err != nil {
		return Document{}, err // the disk: retried (the answer is paid; idem has not recorded it)
	}
	if ref != nil {
		doc.Text, doc.Ref = "", ref
	}
	return doc, nil
}

// Persist writes the approved version to the [Store] once: a retry, or a
// second review approving the same content, gets the existing record back
// (Created false). Other content under the same (doc_id, version) fails
// with a non-retryable [ErrTypeConflict] error. With FailFirstAttempt the
// first attempt writes the record and then fails with a retryable
// [ErrTypeTransient] error.
func (a *Activities) Persist(ctx context.Context, in PersistInput) (PersistResult, error) {
	if err := validateDocID(in.DocID); err != nil {
		return PersistResult{}, invalidInput(err)
	}
	attempt := activity.GetInfo(ctx).Attempt
	if in.ContentRef != nil {
		text, err := loadForActivity(ctx, a.drafts, in.ContentRef)
		if err != nil {
			return PersistResult{}, err
		}
		in.Content = text
	}
	rec, created, err := a.store.Persist(Record{
		DocID: in.DocID, Version: in.Version, Content: in.Content,
		ApprovedBy: in.ApprovedBy, WorkflowID: in.WorkflowID,
	})
	var conflict *ConflictError
	switch {
	case errors.As(err, &conflict):
		return PersistResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeConflict, nil)
	case err != nil:
		return PersistResult{}, err // disk trouble: retry
	}
	if in.FailFirstAttempt && attempt == 1 {
		return PersistResult{}, temporal.NewApplicationError(fmt.Sprintf(
			"docapproval: injected transient failure after writing %s (attempt %d); the retry returns the record unchanged",
			a.store.Path(in.DocID, in.Version), attempt), ErrTypeTransient)
	}
	rec.Content = ""
	return PersistResult{Record: rec, Path: a.store.Path(in.DocID, in.Version), Created: created, Attempt: attempt}, nil
}
