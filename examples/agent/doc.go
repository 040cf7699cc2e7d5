// Package supportagent (examples/agent) is a support agent built with
// package agent: it works a customer's ticket with three tools, each under
// its own policy, and a human approves (or edits) the refund through
// hitlhttp.
//
//   - lookup_order: read-only, retried freely;
//   - issue_refund: needs approval (a hitl review of the exact call, which
//     a reviewer approves, edits or rejects), runs at most once (idem, keyed
//     by the agent's session and the model's call id), is reconciled by
//     its key after a crash, and is undone if the agent later fails;
//   - send_email: runs at most once.
//
// Without OPENAI_API_KEY or OPENAI_BASE_URL the model is llm.Offline,
// which calls the tools the ticket mentions (see llm.Offline for the rule),
// so the example runs without a key. See README.md for the commands.
package supportagent
