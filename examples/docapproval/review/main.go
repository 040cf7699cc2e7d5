// Command review decides on a document review from the command line:
//
//	go run ./examples/docapproval/review status  -id docapproval-doc-123
//	go run ./examples/docapproval/review edit    -id docapproval-doc-123 -reviewer alice -text "Emphasize safety."
//	go run ./examples/docapproval/review approve -id docapproval-doc-123 -reviewer bob [-version 2]
//	go run ./examples/docapproval/review reject  -id docapproval-doc-123 -reviewer bob -text "Off-brand."
//
// Without -version the decision is about the current version. A decision
// the workflow refuses (stale version, closed review, unknown reviewer...)
// is printed with its type and the command exits with status 2.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/hitl"
)

const usage = `usage: review approve|edit|reject|changes|status -id <workflow-id> [-reviewer name] [-version N] [-text "..."]`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	cmd := os.Args[1]
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	id := fs.String("id", "", "workflow id of the review (the starter prints it)")
	reviewer := fs.String("reviewer", "", "who decides")
	version := fs.Int("version", 0, "version decided on (default: the current one)")
	text := fs.String("text", "", "edit instructions, rejection reason or comment")
	_ = fs.Parse(os.Args[2:])
	if *id == "" {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := durable.Dial(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "review:", err)
		os.Exit(1)
	}
	defer c.Close()
	os.Exit(run(ctx, c, os.Stdout, cmd, *id, *reviewer, *version, *text))
}

func run(ctx context.Context, c client.Client, out io.Writer, cmd, id, reviewer string, version int, text string) int {
	if cmd == "status" {
		st, err := hitl.GetStatus(ctx, c, id)
		if err != nil {
			return fail(err)
		}
		b, _ := json.MarshalIndent(st, "", "  ")
		fmt.Fprintln(out, string(b))
		return 0
	}
	actions := map[string]hitl.Action{
		"approve": hitl.ActionApprove, "edit": hitl.ActionEdit,
		"reject": hitl.ActionReject, "changes": hitl.ActionRequestChanges,
	}
	action, ok := actions[cmd]
	if !ok {
		fmt.Fprintln(os.Stderr, usage)
		return 2
	}
	if strings.TrimSpace(reviewer) == "" {
		fmt.Fprintln(os.Stderr, "review: -reviewer is required")
		return 2
	}
	if version == 0 {
		st, err := hitl.GetStatus(ctx, c, id)
		if err != nil {
			return fail(err)
		}
		version = st.Version
	}
	d := hitl.Decision{Reviewer: reviewer, Action: action, Version: version}
	if action == hitl.ActionEdit {
		d.Instructions = text
	} else {
		d.Comment = text
	}
	rc, err := hitl.Decide(ctx, c, id, d)
	if err != nil {
		return fail(err)
	}
	fmt.Fprintf(out, "%s by %s on v%d recorded (#%d): review is %s on version %d, stage %s\n",
		action, reviewer, version, rc.Seq, rc.Phase, rc.Version, rc.Stage)
	return 0
}

// fail prints err; a refusal exits 2, anything else 1.
func fail(err error) int {
	if hitl.IsRefusal(err) {
		de := hitl.AsDecisionError(err)
		fmt.Fprintf(os.Stderr, "refused (%s): %s\n", de.Type, de.Message)
		return 2
	}
	if errors.Is(err, hitl.ErrNotFound) {
		fmt.Fprintln(os.Stderr, "review:", err)
		return 2
	}
	fmt.Fprintln(os.Stderr, "review:", err)
	return 1
}
