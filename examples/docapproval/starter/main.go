// Command starter opens a document review and prints its workflow ID once
// version 1 is drafted.
//
//	go run ./examples/docapproval/starter -doc-id doc-123 \
//		-prompt "Draft a two-paragraph product summary for ACME TurboWidget."
//
// Starting the same doc-id again attaches to the running review. When the
// namespace lacks the HITL* search attributes the review upserts, it says
// which and how to register them (hitl.CheckSearchAttributes) instead of
// starting a review that cannot run.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/examples/docapproval"
	"github.com/durable-llm/durable-llm/hitl"
)

func main() {
	var in docapproval.Input
	flag.StringVar(&in.DocID, "doc-id", "", "document id (letters, digits, . _ -)")
	flag.StringVar(&in.Prompt, "prompt", "", "what to draft (at least 10 characters)")
	flag.StringVar(&in.Model, "model", "", "configured model name (default: the worker's default)")
	flag.BoolVar(&in.InjectTransientFailure, "fail-once", false, "make the first persist attempt fail after writing, to show the retry")
	reviewers := flag.String("reviewers", "", "comma-separated reviewers allowed to decide (default: anyone)")
	queue := flag.String("task-queue", docapproval.TaskQueue, "task queue of the worker")
	flag.Parse()
	if *reviewers != "" {
		in.Stages = []hitl.Stage{{Name: "review", Reviewers: strings.Split(*reviewers, ",")}}
	}
	if err := in.Validate(); err != nil {
		fmt.Fprintln(os.Stderr, "starter:", err)
		os.Exit(2)
	}
	if err := run(in, *queue); err != nil {
		fmt.Fprintln(os.Stderr, "starter:", err)
		os.Exit(1)
	}
}

func run(in docapproval.Input, queue string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c, err := durable.Dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	// The review upserts the HITL* search attributes: say which are missing
	// and how to register them before starting a review that would hang.
	if err := hitl.CheckSearchAttributes(ctx, c); err != nil {
		return err
	}
	id := docapproval.WorkflowID(in.DocID)
	st, err := hitl.Open(ctx, c, client.StartWorkflowOptions{ID: id, TaskQueue: queue}, docapproval.WorkflowName, in)
	if err != nil {
		return err
	}
	fmt.Println(id)
	fmt.Fprintf(os.Stderr, "review %s is %s on version %d (waiting for %s):\n\n%s\n\n", id, st.Phase, st.Version, who(st.Pending), st.Excerpt)
	fmt.Fprintf(os.Stderr, "decide with: go run ./examples/docapproval/review approve -id %s -reviewer alice\n", id)
	return nil
}

func who(pending []string) string {
	if len(pending) == 0 {
		return "anyone"
	}
	return strings.Join(pending, ", ")
}
