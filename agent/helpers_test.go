package agent

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/idem"
)

// shop is the test backend of the support tools: it counts every effect,
// so tests can prove an effect happened once.
type shop struct {
	mu      sync.Mutex
	lookups int
	refunds map[string]int64 // idempotency key -> amount
	order   []string         // keys in refund order
	undone  map[string]bool
	emails  []emailArgs
	fail    map[string]error // tool -> error to return
}

type orderArgs struct {
	OrderID string `json:"order_id" jsonschema:"the order id, like A-1001"`
}

type order struct {
	OrderID     string `json:"order_id"`
	AmountCents int64  `json:"amount_cents"`
	Email       string `json:"email"`
}

type refundArgs struct {
	OrderID     string `json:"order_id"`
	AmountCents int64  `json:"amount_cents" jsonschema:"amount to refund in cents"`
	Reason      string `json:"reason"`
}

type refund struct {
	RefundID    string `json:"refund_id"`
	AmountCents int64  `json:"amount_cents"`
}

type emailArgs struct {
	Email   string `json:"email"`
	Subject string `json:"subject"`
}

type sent struct {
	Sent bool `json:"sent"`
}

func newShop() *shop {
	return &shop{refunds: map[string]int64{}, undone: map[string]bool{}, fail: map[string]error{}}
}

func (s *shop) failing(tool string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fail[tool]
}

func (s *shop) lookup(_ context.Context, in orderArgs) (order, error) {
	if err := s.failing("lookup_order"); err != nil {
		return order{}, err
	}
	s.mu.Lock()
	s.lookups++
	s.mu.Unlock()
	if in.OrderID == "" || in.OrderID == "missing" {
		return order{}, ToolError("order %q not found; ask the customer for the order id", in.OrderID)
	}
	return order{OrderID: in.OrderID, AmountCents: 4999, Email: "ada@example.com"}, nil
}

// refund takes the money back, keyed by the idempotency key like a payment
// API's Idempotency-Key header would be, and counts every call.
func (s *shop) refund(ctx context.Context, in refundArgs) (refund, error) {
	if err := s.failing("issue_refund"); err != nil {
		return refund{}, err
	}
	key, _ := idem.KeyFrom(ctx)
	s.mu.Lock()
	s.refunds[key] += in.AmountCents
	s.order = append(s.order, key)
	out := refund{RefundID: fmt.Sprintf("R-%d", len(s.order)), AmountCents: in.AmountCents}
	s.mu.Unlock()
	return out, nil
}

func (s *shop) reconcileRefund(_ context.Context, key string, in refundArgs) (refund, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, k := range s.order {
		if k == key {
			return refund{RefundID: fmt.Sprintf("R-%d", i+1), AmountCents: s.refunds[key]}, true, nil
		}
	}
	return refund{}, false, nil
}

func (s *shop) cancelRefund(_ context.Context, in refundArgs, out refund) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.undone[out.RefundID] = true
	return nil
}

func (s *shop) email(_ context.Context, in emailArgs) (sent, error) {
	if err := s.failing("send_email"); err != nil {
		return sent{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.emails = append(s.emails, in)
	return sent{Sent: true}, nil
}

func (s *shop) counts() (lookups, refundCalls, emails int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lookups, len(s.order), len(s.emails)
}

func (s *shop) refundTotal() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var t int64
	for _, v := range s.refunds {
		t += v
	}
	return t
}

// tools are the three support tools over s.
func (s *shop) tools() []Tool {
	return []Tool{
		NewTool("lookup_order", "Look up an order by its id", s.lookup, ReadOnly),
		NewTool("issue_refund", "Refund an order, in cents", s.refund, NeedsApproval,
			WithUndo(s.cancelRefund), WithReconcile(s.reconcileRefund)),
		NewTool("send_email", "Email the customer", s.email, SideEffect),
	}
}

func newTestTools(t testing.TB, s *shop, cfg ToolsConfig) *Tools {
	t.Helper()
	if cfg.Store == nil {
		cfg.Store = idem.NewMemoryStore()
	}
	tools, err := NewTools(cfg, s.tools()...)
	require.NoError(t, err)
	return tools
}
