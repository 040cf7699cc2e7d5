package agent

import "strings"

// Policy says how [Run] treats a tool's calls. The worker declares it with
// the tool ([NewTool]); a workflow may add restrictions per tool
// ([Config.Policies]) but never remove what the worker declared.
//
// The zero Policy is not a valid declaration: a tool is read-only,
// idempotent or side-effecting.
type Policy struct {
	// ReadOnly tools change nothing: their calls are retried freely, run
	// in parallel when the model asks for several at once, and are not
	// recorded in the idempotency store.
	ReadOnly bool `json:"read_only,omitempty"`
	// Idempotent tools change the world, but calling one again with the
	// same arguments has no further effect (an upsert; an MCP tool with
	// idempotentHint): calls are retried freely, one at a time, without
	// the idempotency store.
	Idempotent bool `json:"idempotent,omitempty"`
	// SideEffect tools change the world: each call runs through idem.Wrap
	// under the key [CallKey], so a retried or replayed call returns the
	// recorded result instead of repeating the effect.
	SideEffect bool `json:"side_effect,omitempty"`
	// Approval tools run only after a reviewer approved the exact call
	// (tool and arguments, hashed) in a hitl review; it implies SideEffect.
	Approval bool `json:"approval,omitempty"`
	// Compensable tools have an undo ([WithUndo]), registered with saga
	// when the call succeeds and run if the agent later fails or is
	// cancelled. It is set by WithUndo, not by hand.
	Compensable bool `json:"compensable,omitempty"`
}

// Policies for [NewTool].
var (
	// ReadOnly is the policy of tools that only read.
	ReadOnly = Policy{ReadOnly: true}
	// Idempotent is the policy of tools whose repeated calls do no harm.
	Idempotent = Policy{Idempotent: true}
	// SideEffect is the policy of tools whose effect must happen at most
	// once per call.
	SideEffect = Policy{SideEffect: true}
	// NeedsApproval is the policy of side-effecting tools that a human
	// approves call by call.
	NeedsApproval = Policy{SideEffect: true, Approval: true}
)

// String lists the policy's flags: "read-only", "side-effect+approval+undo".
func (p Policy) String() string {
	var parts []string
	if p.ReadOnly {
		parts = append(parts, "read-only")
	}
	if p.Idempotent {
		parts = append(parts, "idempotent")
	}
	if p.SideEffect {
		parts = append(parts, "side-effect")
	}
	if p.Approval {
		parts = append(parts, "approval")
	}
	if p.Compensable {
		parts = append(parts, "undo")
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "+")
}

// AtMostOnce reports whether calls run through the idempotency store.
func (p Policy) AtMostOnce() bool { return p.SideEffect || p.Approval }

// normalized sets the flags a flag implies.
func (p Policy) normalized() Policy {
	if p.Approval {
		p.SideEffect = true
	}
	if p.SideEffect {
		p.ReadOnly, p.Idempotent = false, false
	}
	return p
}

// Tighten returns p with the restrictions of extra added: SideEffect and
// Approval are OR-ed, a tool stays read-only only while neither is set,
// and Compensable and ReadOnly in extra are ignored (an undo comes from the
// worker; read-only cannot be granted from the workflow).
func (p Policy) Tighten(extra Policy) Policy {
	p.SideEffect = p.SideEffect || extra.SideEffect
	p.Approval = p.Approval || extra.Approval
	return p.normalized()
}
