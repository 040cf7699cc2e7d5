package ordersaga_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/durable-llm/durable-llm/examples/ordersaga"
	"github.com/durable-llm/durable-llm/idem"
)

// An order fails shipping: the saga refunds the charge, then releases the
// stock, and the store shows both.
func ExampleOrderWorkflow() {
	dir, err := os.MkdirTemp("", "ordersaga-example")
	if err != nil {
		panic(err)
	}
	defer func() { _ = os.RemoveAll(dir) }()
	store, err := ordersaga.NewFileStore(dir)
	if err != nil {
		panic(err)
	}
	if err := store.EnsureStock(context.Background(), map[string]int{"widget": 10}); err != nil {
		panic(err)
	}
	acts, err := ordersaga.NewActivities(store, idem.NewMemoryStore())
	if err != nil {
		panic(err)
	}

	var ts testsuite.WorkflowTestSuite
	ts.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := ts.NewTestWorkflowEnvironment()
	ordersaga.Register(env, acts)
	env.ExecuteWorkflow(ordersaga.WorkflowName, ordersaga.Order{
		ID:     "order-1",
		Items:  []ordersaga.Item{{SKU: "widget", Quantity: 3}},
		Amount: 2500,
		FailAt: ordersaga.StepShip,
	})

	err = env.GetWorkflowError()
	fmt.Println("compensated:", ordersaga.IsCompensated(err), "cause injected:", ordersaga.IsInjected(err))
	var ae *temporal.ApplicationError
	var st ordersaga.Status
	if errors.As(err, &ae) && ae.Details(&st) == nil {
		fmt.Println(ordersaga.SummarizeLedger(st.Ledger))
	}
	ps, _ := store.Payments(context.Background(), "order-1")
	for _, p := range ps {
		fmt.Println(p.Kind, p.Key, p.Amount)
	}
	n, _ := store.Stock(context.Background(), "widget")
	fmt.Println("widgets in stock:", n)
	// Output:
	// compensated: true cause injected: true
	// reserve succeeded (undo succeeded); charge succeeded (undo succeeded); ship failed
	// charge charge:order-1 2500
	// refund refund:order-1 2500
	// widgets in stock: 10
}

func ExampleOrder_Validate() {
	o := ordersaga.Order{ID: "order-2", Items: []ordersaga.Item{{SKU: "widget", Quantity: 0}}, Amount: -1}
	err := o.Validate()
	fmt.Println(errors.Is(err, ordersaga.ErrInvalidOrder))
	fmt.Println(err)
	// Output:
	// true
	// ordersaga: invalid order, fix and resubmit: item 1 ("widget") has quantity 0: quantities must be positive; the amount is -1 cents: it must be positive
}

func ExampleParseItems() {
	items, err := ordersaga.ParseItems("widget:2, gadget")
	fmt.Println(items, err)
	// Output:
	// [{widget 2} {gadget 1}] <nil>
}
