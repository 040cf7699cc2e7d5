package supportagent

import (
	"context"
	"fmt"

	"github.com/durable-llm/durable-llm/agent"
	"github.com/durable-llm/durable-llm/idem"
)

// Tool names: the model calls them, the Web UI shows them as the
// activities "agent.tool.<name>".
const (
	ToolLookupOrder = "lookup_order"
	ToolIssueRefund = "issue_refund"
	ToolSendEmail   = "send_email"
)

// OrderQuery is the argument of lookup_order.
type OrderQuery struct {
	OrderID string `json:"order_id" jsonschema:"the order id, like A-1001"`
}

// RefundRequest is the argument of issue_refund.
type RefundRequest struct {
	OrderID     string `json:"order_id" jsonschema:"the order to refund"`
	AmountCents int64  `json:"amount_cents" jsonschema:"amount to refund in cents, at most the order's amount"`
	Reason      string `json:"reason" jsonschema:"why the customer gets the refund"`
}

// Refund is the result of issue_refund.
type Refund struct {
	RefundID    string `json:"refund_id"`
	OrderID     string `json:"order_id"`
	AmountCents int64  `json:"refunded_cents"`
}

// EmailRequest is the argument of send_email.
type EmailRequest struct {
	Email   string `json:"email" jsonschema:"the customer's address"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// EmailReceipt is the result of send_email.
type EmailReceipt struct {
	Sent bool   `json:"sent"`
	To   string `json:"to"`
}

// Activities are the tools' bodies over a [Backend].
type Activities struct {
	Backend *Backend
}

// LookupOrder returns the order (read-only).
func (a *Activities) LookupOrder(_ context.Context, q OrderQuery) (Order, error) {
	o, ok, err := a.Backend.Order(q.OrderID)
	if err != nil {
		return Order{}, err
	}
	if !ok {
		return Order{}, agent.ToolError("no order %q: ask the customer for the order id (like A-1001)", q.OrderID)
	}
	return o, nil
}

// IssueRefund refunds an order. It runs at most once per call: agent runs
// it through idem, and its idempotency key (idem.KeyFrom) goes to the
// ledger, as it would go to a payment API's Idempotency-Key header.
func (a *Activities) IssueRefund(ctx context.Context, r RefundRequest) (Refund, error) {
	o, ok, err := a.Backend.Order(r.OrderID)
	if err != nil {
		return Refund{}, err
	}
	switch {
	case !ok:
		return Refund{}, agent.ToolError("no order %q", r.OrderID)
	case r.AmountCents <= 0 || r.AmountCents > o.AmountCents:
		return Refund{}, agent.ToolError("refund of %d cents: it must be between 1 and the order's %d cents", r.AmountCents, o.AmountCents)
	}
	key, _ := idem.KeyFrom(ctx)
	rec, err := a.Backend.Refund(key, r.OrderID, r.AmountCents, r.Reason)
	if err != nil {
		return Refund{}, err
	}
	return Refund{RefundID: rec.RefundID, OrderID: rec.OrderID, AmountCents: rec.AmountCents}, nil
}

// ReconcileRefund finds a refund made under key by an attempt whose worker
// died before recording it.
func (a *Activities) ReconcileRefund(_ context.Context, key string, _ RefundRequest) (Refund, bool, error) {
	rec, ok, err := a.Backend.RefundByKey(key)
	if err != nil || !ok {
		return Refund{}, false, err
	}
	return Refund{RefundID: rec.RefundID, OrderID: rec.OrderID, AmountCents: rec.AmountCents}, true, nil
}

// CancelRefund undoes a refund when the agent fails or is cancelled after it.
func (a *Activities) CancelRefund(_ context.Context, _ RefundRequest, r Refund) error {
	return a.Backend.CancelRefund(r.RefundID)
}

// SendEmail puts an email in the outbox, at most once per call.
func (a *Activities) SendEmail(ctx context.Context, e EmailRequest) (EmailReceipt, error) {
	if e.Email == "" {
		return EmailReceipt{}, agent.ToolError("no recipient: look the order up for the customer's email")
	}
	key, _ := idem.KeyFrom(ctx)
	if err := a.Backend.Send(EmailRecord{Key: key, To: e.Email, Subject: e.Subject, Body: e.Body}); err != nil {
		return EmailReceipt{}, fmt.Errorf("outbox: %w", err)
	}
	return EmailReceipt{Sent: true, To: e.Email}, nil
}

// Tools are the support agent's three tools with their policies:
// lookup_order is read-only; issue_refund needs approval, runs at most once,
// is reconciled after a crash and undone if the agent later fails;
// send_email runs at most once.
func (a *Activities) Tools() []agent.Tool {
	return []agent.Tool{
		agent.NewTool(ToolLookupOrder, "Look up an order: customer, email, item and amount.", a.LookupOrder, agent.ReadOnly),
		agent.NewTool(ToolIssueRefund, "Refund an order (needs a reviewer's approval).", a.IssueRefund, agent.NeedsApproval,
			agent.WithUndo(a.CancelRefund), agent.WithReconcile(a.ReconcileRefund)),
		agent.NewTool(ToolSendEmail, "Email the customer.", a.SendEmail, agent.SideEffect),
	}
}
