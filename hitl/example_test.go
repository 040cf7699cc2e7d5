package hitl_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/hitl"
)

// DocInput is the input of DocReview: the prompt and the carried review.
type DocInput struct {
	Prompt string
	State  *hitl.State[string]
}

// DocReview is a two-stage review of an LLM draft. In a real service,
// Draft and Revise call LLM activities (package llm); here they are plain
// workflow code so the example runs anywhere.
func DocReview(ctx workflow.Context, in DocInput) (hitl.Result[string], error) {
	return hitl.Run(ctx, hitl.Config[string]{
		Draft: func(ctx workflow.Context) (string, error) {
			return "Draft: " + in.Prompt, nil
		},
		Revise: func(ctx workflow.Context, cur string, d hitl.Decision) (string, error) {
			return cur + " (" + d.Instructions + ")", nil
		},
		Stages: []hitl.Stage{
			{Name: "editor", Reviewers: []string{"alice"}},
			{Name: "legal", Reviewers: []string{"bob", "carol"}, Quorum: 1, Deadline: 48 * time.Hour},
		},
		ContinueAsNew: func(ctx workflow.Context, s *hitl.State[string]) error {
			in.State = s
			return workflow.NewContinueAsNewError(ctx, DocReview, in)
		},
	}, in.State)
}

// Run a review in the time-skipping test environment: an edit, then one
// approval per stage.
func ExampleRun() {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(DocReview)
	decide := func(at time.Duration, d hitl.Decision) {
		env.RegisterDelayedCallback(func() {
			env.UpdateWorkflow(hitl.UpdateDecide, "", &testsuite.TestUpdateCallback{
				OnAccept: func() {}, OnReject: func(err error) { fmt.Println("refused:", err) }, OnComplete: func(any, error) {},
			}, d)
		}, at)
	}
	decide(time.Minute, hitl.Decision{Reviewer: "alice", Action: hitl.ActionEdit, Version: 1, Instructions: "shorter"})
	decide(2*time.Minute, hitl.Decision{Reviewer: "bob", Action: hitl.ActionApprove, Version: 2})
	decide(3*time.Minute, hitl.Decision{Reviewer: "alice", Action: hitl.ActionApprove, Version: 2})
	decide(4*time.Minute, hitl.Decision{Reviewer: "carol", Action: hitl.ActionApprove, Version: 2})
	env.ExecuteWorkflow(DocReview, DocInput{Prompt: "launch note"})

	var res hitl.Result[string]
	if err := env.GetWorkflowResult(&res); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s v%d by %s: %s\n", res.Phase, res.Version, res.By, res.Artifact)
	// Output:
	// refused: hitl: reviewer "bob" may not decide in stage "editor": it waits for alice (type: HITLUnauthorized, retryable: false)
	// approved v2 by carol: Draft: launch note (shorter)
}

// Approve from a client and tell refusals apart.
func ExampleApprove() {
	approve := func(ctx context.Context, c client.Client, id string, version int) {
		_, err := hitl.Approve(ctx, c, id, "bob", version, "looks good")
		switch {
		case errors.Is(err, hitl.ErrStaleVersion):
			fmt.Println("someone edited the draft: reload and review the new version")
		case errors.Is(err, hitl.ErrUnauthorized), errors.Is(err, hitl.ErrUnknownReviewer):
			fmt.Println("not your stage")
		case err != nil:
			fmt.Println("failed:", err)
		}
	}
	_ = approve
}

// Open a review, or attach to the one already running under that ID.
func ExampleOpen() {
	open := func(ctx context.Context, c client.Client) error {
		st, err := hitl.Open(ctx, c, client.StartWorkflowOptions{ID: "doc-123", TaskQueue: "reviews"},
			DocReview, DocInput{Prompt: "quarterly update"})
		if err != nil {
			return err
		}
		fmt.Printf("version %d waits for %v in stage %s\n", st.Version, st.Pending, st.Stage)
		return nil
	}
	_ = open
}

// Pass a large draft by reference: the activity stores the text and
// returns a DraftRef, which is all that enters history.
func ExampleNewDraftRef() {
	text := []byte("Dear customers, our TurboWidget now ships with a two-year warranty.")
	ref := hitl.NewDraftRef("doc-123/v2", text) // in the Revise activity, after storing text
	fmt.Println(ref.Key, ref.Size, ref.SHA256[:12])
	fmt.Println(ref.Verify(text) == nil, ref.Verify([]byte("tampered")) == nil)
	// Output:
	// doc-123/v2 67 5e7d618523ac
	// true false
}

// Send deadline notices through an activity.
func ExampleNotifyActivity() {
	cfg := hitl.Config[string]{
		Notify: hitl.NotifyActivity("NotifyReviewers", durable.Quick("notify reviewers")),
	}
	_ = cfg
}

// Match a refusal from a raw update error (the helpers do this already).
func ExampleAsDecisionError() {
	err := &hitl.DecisionError{Type: hitl.ErrTypeStaleVersion, Message: "hitl: decision about version 1 but the current version is 2"}
	fmt.Println(errors.Is(err, hitl.ErrStaleVersion), hitl.IsRefusal(err))
	// Output: true true
}

// Fail early, where a worker starts, when the namespace lacks the search
// attributes the reviews upsert.
func ExampleCheckSearchAttributes() {
	check := func(ctx context.Context, c client.Client) error {
		err := hitl.CheckSearchAttributes(ctx, c)
		var sa *hitl.SearchAttributesError
		if errors.As(err, &sa) {
			fmt.Println("register first:", sa.Missing)
		}
		return err
	}
	_ = check
}

// Send decisions from a signal-only client on the one hitl.decision
// channel: they are applied in the order sent, and the ID makes a retried
// send apply once.
func ExampleSignalDecide() {
	send := func(ctx context.Context, c client.Client, id string) error {
		return c.SignalWorkflow(ctx, id, "", hitl.SignalDecide, hitl.Decision{
			ID: "mail-4711", Reviewer: "bob", Action: hitl.ActionApprove, Version: 2,
		})
	}
	_ = send
}

// An approve-or-reject review (no Revise: edits are refused) that tells the
// manager when it opens and persists the outcome before the workflow ends.
func ExampleConfig_finish() {
	cfg := hitl.Config[string]{
		Initial: "expense EXP-9: 420 EUR",
		Stages:  []hitl.Stage{{Name: "manager", Reviewers: []string{"manager"}, Deadline: 7 * 24 * time.Hour}},
		Notify:  hitl.NotifyActivity("NotifyManager", durable.Quick("notify manager")),
		Finish: func(ctx workflow.Context, res hitl.Result[string]) error {
			if !res.Approved() {
				return nil
			}
			return workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, durable.Quick("process payment")),
				"ProcessPayment", res.Artifact).Get(ctx, nil)
		},
	}
	_ = cfg
}
