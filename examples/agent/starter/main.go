// Command starter opens a support ticket, prints where to review the
// refund, and waits for the agent's answer. A worker (../worker) must be
// running against the same server.
//
//	go run ./examples/agent/starter -text "Order A-1001 arrived broken. Please lookup order A-1001, issue refund and send email to the customer."
//
// Then approve, edit ({"amount_cents": 2500} in the replacement-text box)
// or reject the refund on the reviewer pages, or from the command line:
//
//	go run ./examples/docapproval/review approve -id '<review id>' -reviewer lead
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"os/signal"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/durable-llm/durable-llm/agent"
	"github.com/durable-llm/durable-llm/durable"
	supportagent "github.com/durable-llm/durable-llm/examples/agent"
)

func main() {
	id := flag.String("id", fmt.Sprintf("T-%d", time.Now().Unix()), "ticket id (the workflow is support-<id>)")
	text := flag.String("text", "Order A-1001 arrived broken. Please lookup order A-1001, issue refund for it and send email to the customer.", "the customer's request")
	reviewer := flag.String("reviewer", "lead", "who may approve refunds")
	pages := flag.String("pages", "http://localhost:8091"+supportagent.ReviewPrefix, "base URL of the reviewer pages")
	flag.Parse()
	if err := run(*id, *text, *reviewer, *pages); err != nil {
		log.Fatal("starter: ", err)
	}
}

func run(id, text, reviewer, pages string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	c, err := durable.Dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	t := supportagent.Ticket{ID: id, Text: text, Reviewers: []string{reviewer}}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "support-" + id, TaskQueue: supportagent.TaskQueue}, supportagent.WorkflowName, t)
	if err != nil {
		return err
	}
	fmt.Println("workflow ", run.GetID())
	shown := map[string]bool{}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	done := make(chan error, 1)
	var res agent.Result
	go func() { done <- run.Get(ctx, &res) }()
	for {
		select {
		case err := <-done:
			if err != nil {
				return err
			}
			b, _ := json.MarshalIndent(res.Calls, "", "  ")
			fmt.Printf("stop      %s %s\nturns     %d\ncalls     %s\nanswer\n%s\n", res.Stop, res.Detail, res.Turns, b, res.Answer)
			return nil
		case <-tick.C:
			v, err := c.QueryWorkflow(ctx, run.GetID(), "", agent.QueryStatus)
			if err != nil {
				continue
			}
			var st agent.Status
			if v.Get(&st) != nil {
				continue
			}
			for _, r := range st.Reviews {
				if !shown[r] {
					shown[r] = true
					fmt.Printf("review    %s\n          %s/reviews/%s (as %s)\n", r, pages, url.PathEscape(r), reviewer)
				}
			}
		}
	}
}
