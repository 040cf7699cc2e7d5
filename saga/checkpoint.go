package saga

import (
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"
)

// Checkpoint is what a saga carries into the next run of its workflow: the
// ledger of every earlier run and the compensations still to run, each as an
// activity name, encoded arguments and options. Take it with
// [Saga.Checkpoint], put it in the continue-as-new input, and pass it to
// [Resume] in the next run (nil starts a new saga):
//
//	s, err := saga.Resume(ctx, saga.Options{}, in.Saga)
//	...
//	if in.Saga, err = s.Checkpoint(); err != nil {
//		return err
//	}
//	return workflow.NewContinueAsNewError(ctx, Trip, in)
//
// It is plain data (JSON tags), serialised into workflow history: treat it
// as read-only and pass it on unchanged. It holds every step of every run and
// the encoded arguments of every pending compensation, so it grows with the
// saga; it must fit, with the rest of the input, in one payload (2 MiB).
type Checkpoint struct {
	// Ledger is the saga's ledger when the checkpoint was taken.
	Ledger Ledger `json:"ledger"`
	// Undo lists the pending compensations in the order they were
	// registered; they run in the reverse order.
	Undo []Carried `json:"undo,omitempty"`
}

// Carried is a pending compensation in a [Checkpoint].
type Carried struct {
	// Entry indexes Ledger.Entries: the step the compensation undoes.
	Entry int `json:"entry"`
	// Activity is the activity type name the compensation executes.
	Activity string `json:"activity"`
	// Args are the activity's arguments, encoded by the SDK's default data
	// converter (see [Saga.Checkpoint]).
	Args []Payload `json:"args,omitempty"`
	// Options are the compensation's activity options, resolved as in the
	// run that registered it ([Compensation.WithOptions], else
	// [Options.ActivityOptions], else [CompensationOptions]).
	Options workflow.ActivityOptions `json:"options"`
}

// Payload is one encoded activity argument: the metadata (the encoding) and
// the bytes, as the data converter produced them.
type Payload struct {
	// Metadata holds the payload's encoding ("json/plain", "binary/null"...).
	Metadata map[string][]byte `json:"metadata,omitempty"`
	// Data is the encoded value.
	Data []byte `json:"data,omitempty"`
}

// Checkpoint returns what the saga must carry into the next run when the
// workflow continues as new. It runs in workflow code. Continue-as-new is not
// a failure: [Saga.CompensateOnError] and [Saga.Compensate] let it through
// and compensate nothing, so what is not carried is not undone later.
//
// Only activity compensations ([Activity], [Saga.AddCompensation]) can span
// runs: their activity name, arguments and options are data. Their arguments
// are encoded here with the SDK's default data converter (JSON, []byte, nil
// and protobuf values), and are handed to the activity in the next run as
// they were encoded; a worker's codecs (encryption, compression) still apply.
// An activity given as a function is carried under its function name, the
// name the SDK registers it under by default; pass the registered name (a
// string) to [Activity] for an activity registered under another name.
//
// A pending [Func] compensation is Go code and cannot be carried: Checkpoint
// then returns an error matching [ErrFuncNotCarried], with one
// [*CheckpointError] per step it cannot carry, and no checkpoint. Returning
// that error from the workflow fails the run, and the deferred
// [Saga.CompensateOnError] undoes its steps, Func compensations included.
// Compensations that already ran, failed, were skipped or kept after the
// pivot are carried as ledger entries only; whatever their kind, they never
// run again. Checkpoint fails with [ErrCompensating] while compensations run.
func (s *Saga) Checkpoint() (*Checkpoint, error) {
	if s.compensating {
		return nil, &CheckpointError{Err: ErrCompensating}
	}
	cp := &Checkpoint{Ledger: s.Ledger()}
	index := make(map[*entry]int, len(s.entries))
	for i, e := range s.entries {
		index[e] = i
	}
	var errs []error
	for _, e := range s.order {
		if e.CompensationStatus != StatusPending {
			continue
		}
		c, err := carry(e, s.opts.ActivityOptions)
		if err != nil {
			errs = append(errs, &CheckpointError{Step: e.Name, Err: err})
			continue
		}
		c.Entry = index[e]
		cp.Undo = append(cp.Undo, c)
	}
	if len(errs) > 0 {
		return nil, joinCheckpointErrors(errs)
	}
	s.checkpointRev = s.rev
	return cp, nil
}

// carry describes the pending compensation of e as data.
func carry(e *entry, sagaOpts workflow.ActivityOptions) (Carried, error) {
	if e.comp.fn != nil {
		return Carried{}, ErrFuncNotCarried
	}
	name := activityName(e.comp.activity)
	payloads, err := converter.GetDefaultDataConverter().ToPayloads(e.comp.args...)
	if err != nil {
		return Carried{}, fmt.Errorf("%w: encode the arguments of activity %s: %w", ErrArgsNotCarried, name, err)
	}
	c := Carried{Activity: name, Options: activityOptions(e.comp.opts, sagaOpts, e.Name)}
	for _, p := range payloads.GetPayloads() {
		c.Args = append(c.Args, Payload{Metadata: p.GetMetadata(), Data: p.GetData()})
	}
	return c, nil
}

// Resume returns a saga that continues the one carried in cp, and registers
// its ledger under [LedgerQuery] like [New]. It runs in workflow code. A nil
// cp starts a new saga, so the same call serves the first run and the next:
//
//	func Trip(ctx workflow.Context, in TripInput) (err error) {
//		s, err := saga.Resume(ctx, saga.Options{}, in.Saga)
//		if err != nil {
//			return err
//		}
//		defer s.CompensateOnError(ctx, &err)
//		...
//	}
//
// The resumed saga's ledger starts with the entries of the earlier runs, and
// its pending compensations are those of cp: if the saga compensates in this
// run, they run after the ones registered here (reverse order across runs),
// and each runs once, however many runs it is carried through. opts apply to
// compensations registered from now on; carried ones keep their options. A cp
// that [Saga.Checkpoint] did not produce, or that was altered, is rejected
// with an error matching [ErrBadCheckpoint] and nothing is lost: the
// checkpoint stays in the run's input.
func Resume(ctx workflow.Context, opts Options, cp *Checkpoint) (*Saga, error) {
	if cp == nil {
		return New(ctx, opts), nil
	}
	entries := make([]*entry, len(cp.Ledger.Entries))
	for i, le := range cp.Ledger.Entries {
		entries[i] = &entry{Entry: le}
	}
	order := make([]*entry, 0, len(cp.Undo))
	for _, u := range cp.Undo {
		if u.Entry < 0 || u.Entry >= len(entries) {
			return nil, &CheckpointError{Err: fmt.Errorf("%w: compensation of activity %q points at entry %d of %d", ErrBadCheckpoint, u.Activity, u.Entry, len(entries))}
		}
		e := entries[u.Entry]
		switch {
		case u.Activity == "":
			return nil, &CheckpointError{Step: e.Name, Err: fmt.Errorf("%w: a carried compensation has no activity name", ErrBadCheckpoint)}
		case e.CompensationStatus != StatusPending:
			return nil, &CheckpointError{Step: e.Name, Err: fmt.Errorf("%w: a carried compensation is %q in the ledger, not pending", ErrBadCheckpoint, e.CompensationStatus)}
		case !e.comp.IsZero():
			return nil, &CheckpointError{Step: e.Name, Err: fmt.Errorf("%w: the entry has two carried compensations", ErrBadCheckpoint)}
		}
		args := make([]any, len(u.Args))
		for i, p := range u.Args {
			args[i] = converter.NewRawValue(&commonpb.Payload{Metadata: p.Metadata, Data: p.Data})
		}
		e.comp = Compensation{label: e.Compensation, activity: u.Activity, args: args, opts: &u.Options}
		order = append(order, e)
	}
	for _, e := range entries {
		if e.CompensationStatus == StatusPending && e.comp.IsZero() {
			return nil, &CheckpointError{Step: e.Name, Err: fmt.Errorf("%w: the ledger lists a pending compensation the checkpoint does not carry", ErrBadCheckpoint)}
		}
	}
	s := New(ctx, opts)
	s.entries, s.order, s.pivoted = entries, order, cp.Ledger.Pivoted
	if cp.Ledger.State != "" && cp.Ledger.State != StateContinued {
		s.state = cp.Ledger.State
	}
	return s, nil
}
