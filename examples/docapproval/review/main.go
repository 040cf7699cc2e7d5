// Command review decides on a document review from the command line:
//
//	go run ./examples/docapproval/review status  -id docapproval-doc-123
//	go run ./examples/docapproval/review edit    -id docapproval-doc-123 -reviewer alice -text "Emphasize safety."
//	go run ./examples/docapproval/review approve -id docapproval-doc-123 -reviewer bob [-version 2] [-decision-id click-7]
//	go run ./examples/docapproval/review reject  -id docapproval-doc-123 -reviewer bob -text "Off-brand."
//
// Decisions go through the hitl update (hitl.Decide), which the workflow
// validates before anything is written. Without -version the decision is
// about the version and stage current now (read from the status), so it
// never applies to a later version or stage. -decision-id makes a retry
// of the same command apply once, for the review's whole life. A decision
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

const usage = `usage: review approve|edit|reject|changes|status -id <workflow-id> [-reviewer name] [-version N] [-text "..."] [-decision-id key]`

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
	decisionID := fs.String("decision-id", "", "idempotency key: repeating a command with the same key applies it once")
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
	d := hitl.Decision{ID: *decisionID, Reviewer: *reviewer, Version: *version}
	os.Exit(run(ctx, c, os.Stdout, cmd, *id, d, *text))
}

// run runs cmd; d carries the reviewer, version and decision ID flags.
func run(ctx context.Context, c client.Client, out io.Writer, cmd, id string, d hitl.Decision, text string) int {
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
	if strings.TrimSpace(d.Reviewer) == "" {
		fmt.Fprintln(os.Stderr, "review: -reviewer is required")
		return 2
	}
	if d.Version == 0 {
		// Pin the decision to what the reviewer is shown now: the workflow
		// refuses it (ErrStaleVersion) if the version or stage moved on.
		st, err := hitl.GetStatus(ctx, c, id)
		if err != nil {
			return fail(err)
		}
		d.Version, d.Stage = st.Version, st.Stage
	}
	d.Action = action
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
		action, d.Reviewer, d.Version, rc.Seq, rc.Phase, rc.Version, rc.Stage)
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
