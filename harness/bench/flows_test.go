package bench_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/examples/docapproval"
	"github.com/durable-llm/durable-llm/harness/bench/baseline"
	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/idem"
	"github.com/durable-llm/durable-llm/llm"
)

const prompt = "Draft a two-paragraph product summary for ACME TurboWidget."

// draftBytes is the size of every model answer.
const draftBytes = 20 << 10

// draft20K is a 20 KB model answer.
var draft20K = func() string {
	const s = "ACME TurboWidget keeps its promises: safe, warranted, and quiet. "
	return strings.Repeat(s, draftBytes/len(s)+1)[:draftBytes]
}()

// flow is one implementation (or one ablation variant) of the
// document-approval flow under test.
type flow struct {
	// key names the flow in worker processes and in the report's tables.
	key  string
	name string
	// draftActivity is the activity type of the draft LLM call.
	draftActivity string
	// register returns what a worker registers when its LLM calls go to
	// llmURL and its files to dir (shared by every worker of a run).
	register func(llmURL, dir string) (func(worker.Registry), error)
	// review starts the review id on tq, makes edits edits as a scripted
	// reviewer, approves and waits for the result.
	review func(ctx context.Context, c client.Client, tq, id string, edits int) error
	// base is the key of the flow an ablation differs from by one change.
	base string
}

// baselineStartToClose is the baseline's per-attempt timeout in the crash
// run (the seed's is 60 s), so a killed worker's activity is retried quickly.
const baselineStartToClose = 3 * time.Second

var baselineFlow = flow{
	key:           "baseline",
	name:          "baseline (seed on the SDK)",
	draftActivity: "GenerateDraft",
	register: func(llmURL, dir string) (func(worker.Registry), error) {
		acts := &baseline.Activities{
			Client:  openai.NewClient(option.WithBaseURL(llmURL), option.WithAPIKey("test")),
			Storage: dir,
		}
		return func(r worker.Registry) {
			r.RegisterWorkflow(baseline.DocumentWorkflow)
			r.RegisterActivity(acts)
		}, nil
	},
	review: func(ctx context.Context, c client.Client, tq, id string, edits int) error {
		return reviewBaseline(ctx, c, tq, id, edits, 0)
	},
}

// libOpts are the knobs of a library variant: what the example ships with
// (the zero value) or one change undone, for the ablation rows.
type libOpts struct {
	// MaxDecisionsPerRun is passed to the workflow (0: hitl's default).
	MaxDecisionsPerRun int
	// IdemMemory records the LLM calls in an in-memory idem store (one per
	// worker process, so not crash-safe across workers) instead of the
	// file store the workers share: what the file store costs.
	IdemMemory bool
	// Inline keeps every draft inline in history (no draft store).
	Inline bool
	// Live streams the model's text to the workflow while it generates
	// (docapproval.Config.Live, off as the example ships).
	Live bool
	// UpsertRevising flips HITLStatus to revising and back around every
	// edit, as hitl did before.
	UpsertRevising bool
	// PlainStart starts the review with a search attribute of its own, so
	// hitl.Open does not mark it drafting and hitl records its attributes
	// as before hitl.RecordingQuiet (an upsert when drafting starts, and
	// the version marker of the quiet revisions with its upsert).
	PlainStart bool
}

// libraryFlow is examples/docapproval as it ships.
var libraryFlow = libraryVariant("library", "library (examples/docapproval)", libOpts{})

// libraryVariant is the library's flow with o.
func libraryVariant(key, name string, o libOpts) flow {
	return flow{
		key:           key,
		name:          name,
		draftActivity: docapproval.ActivityDraft,
		register: func(llmURL, dir string) (func(worker.Registry), error) {
			cfg := docapproval.Config{
				Dir: dir,
				LLM: llm.Config{Models: map[string]llm.Model{"default": {ID: "gpt-4o-mini", BaseURL: llmURL, APIKey: "test"}}},
			}
			if o.IdemMemory {
				cfg.Idem = idem.NewMemoryStore()
			}
			if o.Inline {
				cfg.InlineBytes = -1
			}
			cfg.Live = o.Live
			acts, err := docapproval.NewActivities(cfg)
			if err != nil {
				return nil, err
			}
			return func(r worker.Registry) { docapproval.Register(r, acts) }, nil
		},
		review: func(ctx context.Context, c client.Client, tq, id string, edits int) error {
			return reviewLibrary(ctx, c, tq, id, edits, o)
		},
	}
}

// refAblationKey is the ablation the report's targets table sets beside
// the library: with the live stream of the drafts' text turned on, which
// streams every model call and signals its text to the workflow.
const refAblationKey = "live"

// ablations are the library's variants with one change each (one cost
// added back, or one saving undone); the report measures their history
// and load figures beside the library's.
var ablations = []flow{
	ablation("live", "live stream of the drafts' text to the workflow (Config.Live)", libOpts{Live: true}),
	ablation("inline", "drafts inline in history (no draft store)", libOpts{Inline: true}),
	ablation("upsert-revising", "HITLStatus flips to revising and back every edit", libOpts{UpsertRevising: true}),
	ablation("idem-memory", "LLM calls recorded in memory instead of the shared idem file store", libOpts{IdemMemory: true}),
	ablation("plain-start", "review started without Open's HITLStatus: hitl's attributes recorded as before", libOpts{PlainStart: true}),
}

// ablation is libraryVariant differing from the library by o.
func ablation(key, name string, o libOpts) flow {
	f := libraryVariant(key, name, o)
	f.base = libraryFlow.key
	return f
}

// flows are the baseline, the library and the ablations, by key.
func flowByKey(key string) (flow, bool) {
	for _, f := range append([]flow{baselineFlow, libraryFlow}, ablations...) {
		if f.key == key {
			return f, true
		}
	}
	return flow{}, false
}

// reviewBaseline is the seed's client with a reviewer that waits for each
// revision: a signal, then status queries (from 50 ms, doubling up to
// 500 ms) until the revision is under way, then the next signal. stc is the
// activities' per-attempt timeout (0: the seed's 60 s).
func reviewBaseline(ctx context.Context, c client.Client, tq, id string, edits int, stc time.Duration) error {
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: tq}, baseline.DocumentWorkflow,
		baseline.Input{DocID: id, Prompt: prompt, StartToClose: stc})
	if err != nil {
		return err
	}
	for v := 2; v <= edits+1; v++ {
		if err := c.SignalWorkflow(ctx, id, "", baseline.SignalSubmitEdit, fmt.Sprintf("Edit %d: emphasize safety and warranty.", v-1)); err != nil {
			return err
		}
		if err := waitBaselineVersion(ctx, c, id, v); err != nil {
			return err
		}
	}
	if err := c.SignalWorkflow(ctx, id, "", baseline.SignalApprove, nil); err != nil {
		return err
	}
	var f baseline.Final
	if err := run.Get(ctx, &f); err != nil {
		return err
	}
	if f.Version != edits+1 || len(f.Content) != draftBytes {
		return fmt.Errorf("baseline %s: persisted version %d (%d bytes), want %d (%d bytes)", id, f.Version, len(f.Content), edits+1, draftBytes)
	}
	return nil
}

func waitBaselineVersion(ctx context.Context, c client.Client, id string, v int) error {
	delay := 50 * time.Millisecond
	for {
		// A query that times out under load is asked again, as a UI would.
		var st baseline.Status
		res, err := c.QueryWorkflow(ctx, id, "", baseline.QueryStatus)
		if err == nil {
			err = res.Get(&st)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("status of %s: %w (last query: %w)", id, ctx.Err(), err)
		}
		if err == nil && st.Version >= v && !st.HasPendingEdits {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 500*time.Millisecond)
	}
}

// reviewLibrary plays the same script with the hitl client helpers
// (updates that return once the revision exists).
func reviewLibrary(ctx context.Context, c client.Client, tq, id string, edits int, o libOpts) error {
	script := make([]docapproval.Step, 0, edits+1)
	for i := 1; i <= edits; i++ {
		script = append(script, docapproval.Step{Reviewer: "alice", Action: hitl.ActionEdit, Instructions: fmt.Sprintf("Edit %d: emphasize safety and warranty.", i)})
	}
	script = append(script, docapproval.Step{Reviewer: "bob", Action: hitl.ActionApprove})
	in := docapproval.Input{DocID: id, Prompt: prompt, MaxDecisionsPerRun: o.MaxDecisionsPerRun, UpsertRevising: o.UpsertRevising}
	opts := []docapproval.DemoOption{docapproval.WithTaskQueue(tq), docapproval.WithWorkflowID(id)}
	if o.PlainStart {
		opts = append(opts, func(so *client.StartWorkflowOptions) {
			so.TypedSearchAttributes = temporal.NewSearchAttributes(hitl.StageAttribute.ValueSet("review"))
		})
	}
	res, err := docapproval.RunDemo(ctx, c, in, script, opts...)
	if err != nil {
		return err
	}
	if !res.Result.Approved() || res.Versions != edits+1 || res.Result.Document.Size() != draftBytes {
		return fmt.Errorf("library %s: %s on version %d, want approved version %d", id, res.Phase, res.Versions, edits+1)
	}
	return nil
}
