package saga

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/workflow"
)

// LedgerQuery is the query name under which [New] registers the saga's
// [Ledger]. Read it with [ReadLedger], `temporal workflow query --type
// saga.ledger` or client.QueryWorkflow.
const LedgerQuery = "saga.ledger"

// Status is the outcome of a step or of its compensation in the [Ledger].
type Status string

// Statuses of steps and compensations.
const (
	// StatusRunning: the step's activity or the compensation is in progress.
	StatusRunning Status = "running"
	// StatusSucceeded: the step or the compensation completed.
	StatusSucceeded Status = "succeeded"
	// StatusFailed: the step or the compensation failed after its retries.
	StatusFailed Status = "failed"
	// StatusPending: the compensation is registered and will run if the saga
	// compensates.
	StatusPending Status = "pending"
	// StatusSkipped: the compensation did not run because an earlier one
	// failed and [Options.StopOnError] was set. Undo it by hand.
	StatusSkipped Status = "skipped"
	// StatusKept: the saga passed its pivot; the step's work stays.
	StatusKept Status = "kept"
)

// State is where the saga as a whole stands.
type State string

// States of a saga.
const (
	// StateRunning: steps are running; nothing has been compensated.
	StateRunning State = "running"
	// StateCompensating: compensations are running.
	StateCompensating State = "compensating"
	// StateCompensated: every compensation succeeded.
	StateCompensated State = "compensated"
	// StateIncomplete: some compensation failed or was skipped.
	StateIncomplete State = "incomplete"
	// StateKept: the saga failed after its pivot and compensated nothing.
	StateKept State = "kept"
	// StateContinued: the run continued as new and compensated nothing; the
	// saga goes on in the next run when its [Checkpoint] was carried.
	StateContinued State = "continued"
)

// Ledger is a snapshot of a saga: its steps and compensations with their
// outcomes, in the order the steps were recorded. It is plain data (JSON
// tags), safe to return from a query.
type Ledger struct {
	State   State   `json:"state"`
	Pivoted bool    `json:"pivoted"`
	Entries []Entry `json:"entries"`
}

// Entry is one step of a [Ledger] and its compensation.
type Entry struct {
	// Name is the step name given to [Step] or [Saga.Add].
	Name string `json:"name"`
	// Step is the step's outcome when it ran through [Step]; empty when only
	// its compensation was registered.
	Step Status `json:"step,omitempty"`
	// StepError is the step's error text when it failed.
	StepError string `json:"stepError,omitempty"`
	// Compensation names what undoes the step: the activity type, or "func".
	// Empty when the step has nothing to undo.
	Compensation string `json:"compensation,omitempty"`
	// CompensationStatus is the compensation's outcome.
	CompensationStatus Status `json:"compensationStatus,omitempty"`
	// CompensationError is the compensation's error text when it failed.
	CompensationError string `json:"compensationError,omitempty"`
}

// Find returns the last entry named name and whether there is one.
func (l Ledger) Find(name string) (Entry, bool) {
	for i := len(l.Entries) - 1; i >= 0; i-- {
		if l.Entries[i].Name == name {
			return l.Entries[i], true
		}
	}
	return Entry{}, false
}

// RegisterQuery answers the query name with the saga's [Ledger], in addition
// to [LedgerQuery] that [New] registers. Use it when a workflow runs several
// sagas (LedgerQuery answers for the one created last). It runs in workflow
// code and fails only for names Temporal reserves (starting with "__").
func (s *Saga) RegisterQuery(ctx workflow.Context, name string) error {
	if err := workflow.SetQueryHandler(ctx, name, s.query); err != nil {
		return fmt.Errorf("saga: register ledger query %q (choose another name): %w", name, err)
	}
	return nil
}

func (s *Saga) query() (Ledger, error) { return s.Ledger(), nil }

// ReadLedger queries a running or closed workflow for its saga ledger under
// [LedgerQuery]. runID may be empty for the latest run. It runs in client
// code; a closed workflow is answered by replaying it on a worker, so one must
// be running for the task queue.
func ReadLedger(ctx context.Context, c client.Client, workflowID, runID string) (Ledger, error) {
	v, err := c.QueryWorkflow(ctx, workflowID, runID, LedgerQuery)
	if err != nil {
		return Ledger{}, fmt.Errorf("saga: query ledger of %s: %w", workflowID, err)
	}
	var l Ledger
	if err := v.Get(&l); err != nil {
		return Ledger{}, fmt.Errorf("saga: decode ledger of %s: %w", workflowID, err)
	}
	return l, nil
}
