// Command starter places one order and prints how the saga ended. A worker
// (../worker) must be running against the same server.
//
//	go run ./examples/ordersaga/starter -items widget:2,gadget:1 -amount 4999 -fail-at ship
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"time"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/examples/ordersaga"
)

func main() {
	id := flag.String("id", fmt.Sprintf("order-%d", time.Now().Unix()), "order ID (used once: a compensated order needs a new ID)")
	items := flag.String("items", "widget:2,gadget:1", "items as sku:qty,sku:qty")
	amount := flag.Int64("amount", 4999, "amount to charge, in cents")
	failAt := flag.String("fail-at", "", "inject a non-retryable failure at reserve, charge or ship")
	flag.Parse()
	if err := run(*id, *items, *amount, *failAt); err != nil {
		log.Fatal("ordersaga starter: ", err)
	}
}

func run(id, items string, amount int64, failAt string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	its, err := ordersaga.ParseItems(items)
	if err != nil {
		return err
	}
	order := ordersaga.Order{ID: id, Items: its, Amount: amount, FailAt: failAt}
	if err := order.Validate(); err != nil {
		return err // fail fast; the workflow would reject it too
	}

	c, err := durable.Dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()

	res, err := ordersaga.RunDemo(ctx, c, order)
	if err != nil {
		return err
	}
	fmt.Printf("workflow  %s\noutcome   %s\nledger    %s\ncharges   %d\nrefunds   %d\n",
		res.WorkflowID, res.Outcome, res.Ledger, res.Charges, res.Refunds)
	if res.Tracking != "" {
		fmt.Printf("tracking  %s\n", res.Tracking)
	}
	if res.Error != "" {
		fmt.Printf("error     %s\n", res.Error)
	}
	return nil
}
