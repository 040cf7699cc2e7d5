package hitltest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/hitl"
)

// Activity names registered by [Register].
const (
	ActivityDraft   = "HITLTestDraft"
	ActivityRevise  = "HITLTestRevise"
	ActivityNotify  = "HITLTestNotify"
	ActivityPersist = "HITLTestPersist"
)

// Input is the input of [Workflow]: the review's configuration (so one
// registered workflow serves every test) and the carried state.
type Input struct {
	Prompt             string
	Stages             []hitl.Stage
	MaxDecisionsPerRun int
	AuditLimit         int
	DecisionIDLimit    int
	// Notify sends every notice (opened, ready, deadlines) to the Notify
	// activity.
	Notify bool
	// Persist runs the Persist activity after an approval, like the seed,
	// from hitl.Config.Finish (the workflow stays open while it runs, and
	// decisions that arrive meanwhile are recorded as ignored).
	Persist bool
	// NoEdits leaves hitl.Config.Revise nil: the review refuses edits.
	NoEdits bool
	// DisableSearchAttributes and UpsertRevising are passed to [hitl.Config].
	DisableSearchAttributes bool
	UpsertRevising          bool
	// SearchAttributes names the attributes to upsert
	// (hitl.Config.SearchAttributes): hitl's names map to their keys, any
	// other name to a keyword key. Nil means hitl's default.
	SearchAttributes []string
	// State is the review carried through continue-as-new.
	State *hitl.State[string]
}

// ReviseInput is the input of the Revise activity.
type ReviseInput struct {
	Current string
	Edit    hitl.Decision
}

// Workflow reviews a string draft: Draft writes it from the prompt, Revise
// appends each edit's instructions (or replaces the text with Text).
func Workflow(ctx workflow.Context, in Input) (hitl.Result[string], error) {
	opts := durable.Quick("")
	opts.RetryPolicy = durable.RetryPolicy(100*time.Millisecond, time.Second, 3)
	cfg := hitl.Config[string]{
		Draft: func(ctx workflow.Context) (string, error) {
			return durable.Execute[string](ctx, ActivityDraft, in.Prompt, durable.WithSummary(opts, "draft v1"))
		},
		Revise: func(ctx workflow.Context, cur string, d hitl.Decision) (string, error) {
			return durable.Execute[string](ctx, ActivityRevise, ReviseInput{Current: cur, Edit: d},
				durable.WithSummary(opts, fmt.Sprintf("revise v%d", d.Version)))
		},
		Stages:                  in.Stages,
		MaxDecisionsPerRun:      in.MaxDecisionsPerRun,
		AuditLimit:              in.AuditLimit,
		DecisionIDLimit:         in.DecisionIDLimit,
		DisableSearchAttributes: in.DisableSearchAttributes,
		UpsertRevising:          in.UpsertRevising,
		SearchAttributes:        attributeKeys(in.SearchAttributes),
		ContinueAsNew: func(ctx workflow.Context, s *hitl.State[string]) error {
			in.State = s
			return workflow.NewContinueAsNewError(ctx, Workflow, in)
		},
	}
	if in.NoEdits {
		cfg.Revise = nil
	}
	if in.Notify {
		cfg.Notify = hitl.NotifyActivity(ActivityNotify, durable.WithSummary(opts, "notify reviewers"))
	}
	if in.Persist {
		cfg.Finish = func(ctx workflow.Context, res hitl.Result[string]) error {
			if !res.Approved() {
				return nil
			}
			return workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, durable.WithSummary(opts, "persist")),
				ActivityPersist, res.Artifact).Get(ctx, nil)
		}
	}
	return hitl.Run(ctx, cfg, in.State)
}

// attributeKeys maps names to search attribute keys (nil stays nil).
func attributeKeys(names []string) []temporal.SearchAttributeKey {
	if names == nil {
		return nil
	}
	keys := []temporal.SearchAttributeKey{}
	for _, n := range names {
		i := slices.IndexFunc(hitl.SearchAttributes(), func(k temporal.SearchAttributeKey) bool { return k.GetName() == n })
		if i >= 0 {
			keys = append(keys, hitl.SearchAttributes()[i])
		} else {
			keys = append(keys, temporal.NewSearchAttributeKeyKeyword(n))
		}
	}
	return keys
}

// ErrRevise is what Revise returns (non-retryable) while
// [Activities.FailRevise] is set.
var ErrRevise = errors.New("hitltest: revise failed on purpose")

// Activities are the fake activities. The zero value is ready to use and
// safe for concurrent use.
type Activities struct {
	mu        sync.Mutex
	notices   []hitl.Notice
	persisted []string
	failRev   bool
	holds     map[string]*hold
}

// hold keeps the next run of one activity waiting.
type hold struct {
	reached, release chan struct{}
	once             sync.Once
}

// Hold makes the next run of the named activity ([ActivityDraft],
// [ActivityRevise] or [ActivityPersist]) wait, once it has started, until release is called:
// reached is closed when it waits. Use it to send decisions while a
// draft, a revision or the persist step runs, without sleeping.
func (a *Activities) Hold(name string) (reached <-chan struct{}, release func()) {
	h := &hold{reached: make(chan struct{}), release: make(chan struct{})}
	a.mu.Lock()
	if a.holds == nil {
		a.holds = make(map[string]*hold)
	}
	a.holds[name] = h
	a.mu.Unlock()
	return h.reached, func() { h.once.Do(func() { close(h.release) }) }
}

// wait blocks in a held activity until it is released or ctx ends.
func (a *Activities) wait(ctx context.Context, name string) error {
	a.mu.Lock()
	h := a.holds[name]
	delete(a.holds, name)
	a.mu.Unlock()
	if h == nil {
		return nil
	}
	close(h.reached)
	select {
	case <-h.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Register registers [Workflow] and the activities on r.
func Register(r worker.Registry, a *Activities) {
	r.RegisterWorkflow(Workflow)
	r.RegisterActivityWithOptions(a.Draft, activityOptions(ActivityDraft))
	r.RegisterActivityWithOptions(a.Revise, activityOptions(ActivityRevise))
	r.RegisterActivityWithOptions(a.Notify, activityOptions(ActivityNotify))
	r.RegisterActivityWithOptions(a.Persist, activityOptions(ActivityPersist))
}

// Draft writes version 1: "Draft: <prompt>".
func (a *Activities) Draft(ctx context.Context, prompt string) (string, error) {
	if err := a.wait(ctx, ActivityDraft); err != nil {
		return "", err
	}
	return "Draft: " + prompt, nil
}

// Revise applies an edit deterministically.
func (a *Activities) Revise(ctx context.Context, in ReviseInput) (string, error) {
	if err := a.wait(ctx, ActivityRevise); err != nil {
		return "", err
	}
	a.mu.Lock()
	fail := a.failRev
	a.mu.Unlock()
	if fail {
		return "", temporal.NewNonRetryableApplicationError(ErrRevise.Error(), "HITLTestRevise", ErrRevise)
	}
	if strings.TrimSpace(in.Edit.Text) != "" {
		return in.Edit.Text, nil
	}
	return in.Current + "\n[edit v" + fmt.Sprint(in.Edit.Version) + ": " + in.Edit.Instructions + "]", nil
}

// Notify records the notice.
func (a *Activities) Notify(_ context.Context, n hitl.Notice) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.notices = append(a.notices, n)
	return nil
}

// Persist records the approved text.
func (a *Activities) Persist(ctx context.Context, text string) error {
	if err := a.wait(ctx, ActivityPersist); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.persisted = append(a.persisted, text)
	return nil
}

// SetFailRevise makes Revise fail (true) or work (false).
func (a *Activities) SetFailRevise(fail bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.failRev = fail
}

// Notices returns the notices received so far.
func (a *Activities) Notices() []hitl.Notice {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]hitl.Notice(nil), a.notices...)
}

// Persisted returns the texts persisted so far.
func (a *Activities) Persisted() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.persisted...)
}

func activityOptions(name string) activity.RegisterOptions {
	return activity.RegisterOptions{Name: name}
}
