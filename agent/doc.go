// Package agent runs tool-calling LLM agents as Temporal workflow code:
// each model turn is an llm activity, each tool call its own activity
// under a policy (read-only, idempotent, side-effecting at most once,
// approved by a human, undone on failure), with bounds on turns, tokens
// and cost, a conversation kept by reference outside history, compaction
// when it grows too long, and continue-as-new.
//
// # Workflow side and worker side
//
// As in Temporal's ADK integration, the package is split in two. On the
// worker, tools are typed Go functions ([NewTool]) or MCP tools (package
// mcptool), each declared with a [Policy]; [NewTools] validates them with
// a [ToolsConfig] (the idem store of at-most-once calls, the message store
// of results kept by reference) and [Tools.Register] registers their
// activities and the review workflows:
//
//	tools, err := agent.NewTools(agent.ToolsConfig{Store: idemStore, Messages: msgStore},
//		agent.NewTool("lookup_order", "Look up an order by id", acts.LookupOrder, agent.ReadOnly),
//		agent.NewTool("issue_refund", "Refund an order", acts.IssueRefund, agent.NeedsApproval,
//			agent.WithUndo(acts.CancelRefund)),
//		agent.NewTool("send_email", "Email the customer", acts.SendEmail, agent.SideEffect),
//	)
//	tools.Register(w)
//	llmActs.Register(w) // llm.NewActivities with llm.Config.Messages = msgStore
//
// In the workflow, [Run] drives the loop and returns a [Result] saying why
// it stopped:
//
//	res, err := agent.Run(ctx, agent.Config{
//		System: "You are a support agent.",
//		Prompt: ticket.Text,
//		Limits: agent.Limits{MaxTurns: 10, MaxCostUSD: 0.50},
//		Approval: agent.Review{Reviewers: []string{"lead"}, Deadline: 4 * time.Hour},
//		ContinueAsNew: func(ctx workflow.Context, s *agent.State) error {
//			in.State = s
//			return workflow.NewContinueAsNewError(ctx, Support, in)
//		},
//	}, in.State)
//
// # Policies
//
//   - [ReadOnly]: retried freely; several calls in one answer run in
//     parallel.
//   - [Idempotent]: retried freely, one at a time.
//   - [SideEffect]: the call runs through idem.Wrap under [CallKey]
//     ("agent/<session>/<call id>"), so a retried attempt, a replayed
//     workflow or a worker that died after the effect returns the recorded
//     result; [WithReconcile] asks the outside system after a crash in the
//     middle of a call. CallKey documents the key across retries, crashes,
//     continue-as-new and resets.
//   - [NeedsApproval]: before the call runs, the loop checks its arguments
//     ([ActivityCheck]) and opens a hitl review of the exact call, as the
//     child workflow [ApprovalID] ([WorkflowApproval]). Reviewers (the
//     hitl client helpers, or hitlhttp) approve, edit the arguments
//     (Decision.Text: a JSON object of the fields to change) or reject with
//     a reason, which goes back to the model as the call's result. An
//     approval binds the call's hash ([CallHash]) and expires
//     ([Review.ValidFor]); the worker refuses a call whose hash differs
//     ([ErrTypeApprovalMismatch]), that has no approval
//     ([ErrTypeNotApproved]) or whose approval expired
//     ([ErrTypeApprovalExpired]). The call then runs once, as SideEffect.
//   - compensable ([WithUndo]): after the call succeeded its undo is
//     registered with saga and kept in [State]; when the agent fails or is
//     cancelled, the undos run newest first on a disconnected context, each
//     at most once.
//
// A workflow can tighten a tool's policy ([Config.Policies]), never loosen
// it: the worker applies its own declaration tightened by the workflow's.
//
// # Bounds, budgets and loops
//
// [Limits] bound the turns, the tokens and the cost, and how often one
// call may repeat. Before each turn the loop estimates it (the last
// prompt and answer, what was added since, Config.MaxTokens); when it
// could exceed the budget, the agent stops with [StopBudget], or, with
// [Config.BudgetReview], asks a human first: a hitl review
// ([WorkflowBudgetReview]) whose approval raises the limits (an edit sets
// them) and whose rejection or deadline stops the agent.
//
// # Long conversations
//
// With [ToolsConfig.Messages] (and the same store as llm.Config.Messages),
// every message is stored once, content-addressed (llm.RefOf), and
// requests carry references (llm.Request.StoreMessages), so a turn adds a
// few dozen bytes per message to history, not the whole conversation;
// results longer than [ToolsConfig.InlineLimit] never enter history. When
// the model answers that the conversation is too long
// (llm.ErrTypeContextLengthExceeded), or the last prompt passed
// [Compaction.AtTokens], a recorded compaction step summarises the
// messages between the first user message and the newest ones and the
// loop goes on. The loop continues as new with its [State] after
// Config.MaxTurnsPerRun turns or when the server suggests it.
//
// # Status and audit
//
// The [QueryStatus] query returns a [Status]: the phase, turns, each call
// with its policy, outcome, approval and key, the open reviews, usage and
// cost; saga's ledger query lists the undos.
//
// # Determinism
//
// [Run], [ApprovalWorkflow], [BudgetReviewWorkflow] and the Config
// functions run in workflow code; everything they learn comes from
// activity results. [NewTool], [NewTools], [Tools] and the tool functions
// run on the worker. [CallHash], [Canonical], [CallKey] and [ToolActivity]
// are pure.
//
// # Retries and errors
//
// Tool activities return [*temporal.ApplicationError] values unwrapped,
// with the ErrType constants. A tool's [ToolError], arguments that do not
// match its schema, an unknown tool, a denied or expired approval are told
// to the model as the call's result and the loop goes on; a tool that still
// fails after the retries of its preset ([ToolActivityOptions]) is told too,
// unless [Config.FailOnToolError].
//
// # Testing
//
// The offline model (llm.Offline) calls tools by a documented rule, so
// agents run in tests and demos without a key; llm/llmtest scripts a
// provider's tool calls and failures. The package's integration tests run
// on a real dev server (durable/durabletest): a worker process SIGKILLed during a
// side-effecting tool and during an approved action (the effect happens
// once), an approval for other arguments, a denial fed back to the model,
// compaction and continue-as-new, a budget review that raises the limit.
package agent
