package docapproval_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/examples/docapproval"
	"github.com/durable-llm/durable-llm/hitl"
)

// A prompt under ten characters is refused before anything runs; the
// workflow returns the same problem as a non-retryable
// DocApprovalInvalidInput error.
func ExampleInput_Validate() {
	err := docapproval.Input{DocID: "doc-123", Prompt: "Hi"}.Validate()
	fmt.Println(err)
	fmt.Println(errors.Is(err, docapproval.ErrInvalidInput))

	err = docapproval.Input{DocID: "../etc", Prompt: "Draft a product summary."}.Validate()
	fmt.Println(err)
	// Output:
	// docapproval: prompt: "Hi" is too short (2 characters): say what to draft in at least 10 characters
	// true
	// docapproval: doc_id: "../etc": use letters, digits, '.', '_' and '-', starting with a letter or digit (it becomes a file name)
}

// An approved document is written once; persisting it again returns the
// existing record.
func ExampleStore_Persist() {
	dir, err := os.MkdirTemp("", "docapproval")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	s, err := docapproval.NewStore(dir)
	if err != nil {
		panic(err)
	}
	_, created, err := s.Persist(docapproval.Record{DocID: "doc-123", Version: 3, Content: "Final text.", ApprovedBy: "alice"})
	fmt.Println(created, err)
	rec, created, err := s.Persist(docapproval.Record{DocID: "doc-123", Version: 3, Content: "Final text.", ApprovedBy: "bob"})
	fmt.Println(created, err, rec.ApprovedBy)
	_, _, err = s.Persist(docapproval.Record{DocID: "doc-123", Version: 3, Content: "Other text."})
	fmt.Println(errors.Is(err, docapproval.ErrConflict))
	// Output:
	// true <nil>
	// false <nil> alice
	// true
}

// The idempotency key of each LLM call is its (doc_id, version).
func ExampleReviseKey() {
	k, _ := docapproval.ReviseKey(context.Background(), docapproval.ReviseInput{DocID: "doc-123", Version: 3})
	fmt.Println(k)
	fmt.Println(docapproval.WorkflowID("doc-123"))
	// Output:
	// docapproval/doc-123/v3/revise
	// docapproval-doc-123
}

// The hitlhttp page renders a Document's Markdown text; the model and
// usage of each version come from the review's version history.
func ExampleLoadDraft() {
	raw, _ := json.Marshal(docapproval.Document{DocID: "doc-123", Version: 2, Source: docapproval.SourceRevision, Model: "gpt-4o-mini", Text: "Safe. Warrantied."})
	text, _ := docapproval.LoadDraft(context.Background(), "docapproval-doc-123", raw)
	fmt.Println(text)
	// Output:
	// Safe. Warrantied.
}

// A worker registers the workflow and activities; the LLM configuration
// comes from the environment (offline model without OPENAI_API_KEY).
func ExampleRegister() {
	ctx := context.Background()
	c, err := durable.Dial(ctx) // TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, ...
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	acts, err := docapproval.NewActivities(docapproval.Config{Dir: "docapproval-data"})
	if err != nil {
		fmt.Println(err)
		return
	}
	w := worker.New(c, docapproval.TaskQueue, worker.Options{})
	docapproval.Register(w, acts)
	_ = w.Run(worker.InterruptCh())
}

// RunDemo opens a review and plays reviewer decisions through the hitl
// client helpers: alice edits, bob approves.
func ExampleRunDemo() {
	ctx := context.Background()
	c, err := durable.Dial(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	res, err := docapproval.RunDemo(ctx, c,
		docapproval.Input{DocID: "doc-123", Prompt: "Draft a two-paragraph product summary for ACME TurboWidget."},
		[]docapproval.Step{
			{Reviewer: "alice", Action: hitl.ActionEdit, Instructions: "Emphasize safety and warranty."},
			{Reviewer: "bob", Action: hitl.ActionApprove},
		})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Phase, res.Versions, res.ApprovedPath, res.Tokens)
}
