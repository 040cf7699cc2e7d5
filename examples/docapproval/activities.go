package docapproval

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

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
	// Text is the document.
	Text string `json:"text"`
	// Source is [SourceDraft] for version 1, [SourceRevision] after.
	Source string `json:"source"`
	// Model is the provider's id of the model that wrote this version;
	// Offline is set when it was the offline model.
	Model   string `json:"model"`
	Offline bool   `json:"offline,omitempty"`
	// Call is the usage of the LLM call that wrote this version; Usage
	// sums the calls of every version up to this one.
	Call  llm.Usage `json:"call"`
	Usage llm.Usage `json:"usage"`
}

// Excerpt implements hitl.Excerpter: the status shows the head of Text.
func (d Document) Excerpt() string { return d.Text }

// DraftInput is the input of [Activities.Draft].
type DraftInput struct {
	DocID  string `json:"doc_id"`
	Prompt string `json:"prompt"`
	// Model is the configured llm model name; empty means the default.
	Model string `json:"model,omitempty"`
}

// ReviseInput is the input of [Activities.Revise].
type ReviseInput struct {
	DocID string `json:"doc_id"`
	// Version is the version the revision produces.
	Version int `json:"version"`
	// Base is the text of the version being revised.
	Base string `json:"base"`
	// Instructions are the reviewer's edits; Text, when set, is text the
	// reviewer wrote to replace or extend the document.
	Instructions string `json:"instructions,omitempty"`
	Text         string `json:"text,omitempty"`
	Model        string `json:"model,omitempty"`
}

// PersistInput is the input of [Activities.Persist].
type PersistInput struct {
	DocID      string `json:"doc_id"`
	Version    int    `json:"version"`
	Content    string `json:"content"`
	ApprovedBy string `json:"approved_by,omitempty"`
	WorkflowID string `json:"workflow_id,omitempty"`
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
}

// Activities are the worker side of the example: the LLM calls and the
// approved-document store. Build them with [NewActivities] and register
// them with [Register]. They are safe for concurrent use.
type Activities struct {
	store  *Store
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
	a := &Activities{store: store, llm: la, desc: cfg.LLM.Describe()}
	// Failures are not recorded: a revision refused by the provider leaves
	// the review on the same version, and the next edit reuses its key.
	a.draft = idem.Wrap(is, a.draftOnce, idem.WithKey(DraftKey), idem.WithRecordFailures(false))
	a.revise = idem.Wrap(is, a.reviseOnce, idem.WithKey(ReviseKey), idem.WithRecordFailures(false))
	return a, nil
}

// Store returns the approved-document store.
func (a *Activities) Store() *Store { return a.store }

// Describe says where the LLM calls go (one line per model), for logs.
func (a *Activities) Describe() string { return a.desc }

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

// DraftKey is the idempotency key of the draft call: docapproval/<doc_id>/v1/draft.
func DraftKey(_ context.Context, in DraftInput) (string, error) {
	return "docapproval/" + in.DocID + "/v1/draft", nil
}

// ReviseKey is the idempotency key of a revision: docapproval/<doc_id>/v<version>/revise.
func ReviseKey(_ context.Context, in ReviseInput) (string, error) {
	return "docapproval/" + in.DocID + "/v" + strconv.Itoa(in.Version) + "/revise", nil
}

// Draft writes version 1 of the document with one LLM call, at most once
// per doc_id: a retry or a re-run with the same prompt gets the recorded
// answer without a new call. A short prompt or bad doc_id fails with a
// non-retryable [ErrTypeInvalidInput] error; LLM failures keep the llm
// package's error types (llm.IsRetryable and friends).
func (a *Activities) Draft(ctx context.Context, in DraftInput) (Document, error) {
	if err := (Input{DocID: in.DocID, Prompt: in.Prompt}).Validate(); err != nil {
		return Document{}, invalidInput(err)
	}
	return a.draft(ctx, in)
}

func (a *Activities) draftOnce(ctx context.Context, in DraftInput) (Document, error) {
	resp, err := a.llm.Complete(ctx, llm.Request{
		Model:   in.Model,
		System:  DraftSystem,
		Prompt:  DraftPrompt(in),
		Summary: "draft v1",
	})
	if err != nil {
		return Document{}, err // a classified *temporal.ApplicationError: return it unwrapped
	}
	return document(in.DocID, 1, SourceDraft, resp), nil
}

// Revise writes version in.Version from in.Base and the reviewer's edits
// with one LLM call, at most once per (doc_id, version).
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
	resp, err := a.llm.Complete(ctx, llm.Request{
		Model:   in.Model,
		System:  ReviseSystem,
		Prompt:  RevisePrompt(in),
		Summary: "revise v" + strconv.Itoa(in.Version),
	})
	if err != nil {
		return Document{}, err
	}
	return document(in.DocID, in.Version, SourceRevision, resp), nil
}

// DraftPrompt is the user message of the draft call: the reviewer's prompt
// first, then how to write it.
func DraftPrompt(in DraftInput) string {
	return strings.TrimSpace(in.Prompt) + "\n\nWrite it as a clear, concise document. Tone: professional."
}

// RevisePrompt is the user message of a revision: the edits first, then the
// reviewer's text if any, then the current draft.
func RevisePrompt(in ReviseInput) string {
	var b strings.Builder
	if s := strings.TrimSpace(in.Instructions); s != "" {
		b.WriteString(s)
		b.WriteString("\n\n")
	}
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

func document(docID string, version int, source string, resp llm.Response) Document {
	var u llm.Usage
	u.Add(resp)
	return Document{
		DocID: docID, Version: version, Text: resp.Text, Source: source,
		Model: resp.Model, Offline: resp.Offline, Call: u, Usage: u,
	}
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
