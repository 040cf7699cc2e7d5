package hitltest_test

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/hitl/hitltest"
)

// Send decisions in the SDK's test environment and read them back as
// hitl.Decide would answer on a real server.
func ExampleDecide() {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestWorkflowEnvironment()
	hitltest.Register(env, &hitltest.Activities{})

	stale := hitltest.Decide(env, time.Minute, hitl.Decision{Reviewer: "alice", Action: hitl.ActionApprove, Version: 2})
	ok := hitltest.Decide(env, 2*time.Minute, hitl.Decision{Reviewer: "alice", Action: hitl.ActionApprove, Version: 1})
	late := hitltest.Decide(env, time.Hour, hitl.Decision{Reviewer: "bob", Action: hitl.ActionReject, Version: 1, Comment: "no"})
	env.ExecuteWorkflow(hitltest.Workflow, hitltest.Input{Prompt: "launch note"})

	_, err := stale.Result()
	fmt.Println("stale:", errors.Is(err, hitl.ErrStaleVersion), stale.Accepted())
	rc, err := ok.Result()
	fmt.Println("approved:", rc.Phase, err)
	_, err = late.Result()
	fmt.Println("after the end:", errors.Is(err, hitl.ErrClosed))
	// Output:
	// stale: true false
	// approved: approved <nil>
	// after the end: true
}
