// Package hitltest holds a ready-made review workflow over string drafts and
// deterministic fake activities, for tests and demos of package hitl and
// hitlhttp, and [Decide], which sends a decision in the SDK's test
// environment and answers with the same typed errors as hitl.Decide. It
// calls no LLM.
//
//	a := &hitltest.Activities{}
//	w := durabletest.StartWorker(t, srv, func(r worker.Registry) { hitltest.Register(r, a) })
//	st, err := hitl.Open(ctx, c, client.StartWorkflowOptions{ID: "doc-1", TaskQueue: w.TaskQueue},
//		hitltest.Workflow, hitltest.Input{Prompt: "launch note"})
//
// In the test environment:
//
//	env.RegisterWorkflow(hitltest.Workflow) // or hitltest.Register(env, a)
//	stale := hitltest.Decide(env, time.Minute, hitl.Decision{Reviewer: "alice", Action: hitl.ActionApprove, Version: 2})
//	env.ExecuteWorkflow(hitltest.Workflow, hitltest.Input{Prompt: "launch note"})
//	_, err := stale.Result() // errors.Is(err, hitl.ErrStaleVersion)
//
// [Activities.Hold] keeps Revise or Persist running until released, to send
// decisions during a revision or while the approved draft is persisted.
package hitltest
