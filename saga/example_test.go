package saga_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/saga"
)

// BookFlight is an example activity.
func BookFlight(_ context.Context, trip string) (string, error) {
	fmt.Println("book flight", trip)
	return "flight-1", nil
}

// CancelFlight undoes BookFlight.
func CancelFlight(_ context.Context, trip string) error {
	fmt.Println("cancel flight", trip)
	return nil
}

// BookHotel is an example activity.
func BookHotel(_ context.Context, trip string) (string, error) {
	fmt.Println("book hotel", trip)
	return "hotel-1", nil
}

// CancelHotel undoes BookHotel.
func CancelHotel(_ context.Context, trip string) error {
	fmt.Println("cancel hotel", trip)
	return nil
}

// BookCar is an example activity that always fails.
func BookCar(_ context.Context, trip string) (string, error) {
	fmt.Println("book car", trip)
	return "", temporal.NewNonRetryableApplicationError("no cars left", "NoCars", nil)
}

// BookTrip books a flight, a hotel and a car, and undoes the bookings when a
// later one fails.
func BookTrip(ctx workflow.Context, trip string) (err error) {
	s := saga.New(ctx, saga.Options{})
	defer s.CompensateOnError(ctx, &err)

	opts := durable.Quick("book " + trip)
	if _, err = saga.Step[string](ctx, s, "flight", BookFlight, trip, opts, saga.Activity(CancelFlight, trip)); err != nil {
		return err
	}
	if _, err = saga.Step[string](ctx, s, "hotel", BookHotel, trip, opts, saga.Activity(CancelHotel, trip)); err != nil {
		return err
	}
	if _, err = saga.Step[string](ctx, s, "car", BookCar, trip, opts, saga.Compensation{}); err != nil {
		return err
	}
	return nil
}

// Example runs a saga in the test environment: the car cannot be booked, so
// the hotel and then the flight are cancelled, and the ledger records it.
func Example() {
	var ts testsuite.WorkflowTestSuite
	ts.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(BookTrip)
	for _, a := range []any{BookFlight, CancelFlight, BookHotel, CancelHotel, BookCar} {
		env.RegisterActivity(a)
	}

	env.ExecuteWorkflow(BookTrip, "trip-7")

	var appErr *temporal.ApplicationError
	if errors.As(env.GetWorkflowError(), &appErr) {
		fmt.Println("workflow failed with", appErr.Type())
	}
	v, err := env.QueryWorkflow(saga.LedgerQuery)
	if err != nil {
		fmt.Println(err)
		return
	}
	var l saga.Ledger
	if err := v.Get(&l); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("saga", l.State)
	for _, e := range l.Entries {
		fmt.Printf("%-6s step %s", e.Name, e.Step)
		if e.Compensation != "" {
			fmt.Printf(", undo %s %s", e.Compensation, e.CompensationStatus)
		}
		fmt.Println()
	}
	// Output:
	// book flight trip-7
	// book hotel trip-7
	// book car trip-7
	// cancel hotel trip-7
	// cancel flight trip-7
	// workflow failed with Error
	// saga compensated
	// flight step succeeded, undo CancelFlight succeeded
	// hotel  step succeeded, undo CancelHotel succeeded
	// car    step failed
}

// A charge that times out may have happened: register its refund before it
// runs. The refund must treat "no such charge" as success.
func ExampleCompensation_BeforeStep() {
	type Acts struct {
		Charge func(context.Context, string) (string, error)
		Refund func(context.Context, string) error
	}
	var acts Acts
	charge := func(ctx workflow.Context, s *saga.Saga, orderID string) error {
		_, err := saga.Step[string](ctx, s, "charge", acts.Charge, orderID, durable.Standard("charge "+orderID),
			saga.Activity(acts.Refund, orderID).BeforeStep())
		return err
	}
	_ = charge
}

// The seeds' order flow: after shipping, failures no longer undo anything.
func ExampleSaga_Pivot() {
	order := func(ctx workflow.Context, orderID string) (err error) {
		s := saga.New(ctx, saga.Options{Parallel: true})
		defer s.CompensateOnError(ctx, &err)
		opts := durable.Quick("order " + orderID)
		if _, err = saga.Step[string](ctx, s, "reserve", "Reserve", orderID, opts, saga.Activity("Release", orderID)); err != nil {
			return err
		}
		if _, err = saga.Step[string](ctx, s, "ship", "Ship", orderID, opts, saga.Compensation{}); err != nil {
			return err
		}
		s.Pivot() // the parcel is on its way: roll forward from here
		_, err = saga.Step[string](ctx, s, "email", "SendConfirmation", orderID, durable.Standard("email"), saga.Compensation{})
		return err
	}
	_ = order
}

// An undo that needs the step's result is added right after the step.
func ExampleSaga_Add() {
	pay := func(ctx workflow.Context, s *saga.Saga, orderID string) error {
		paymentID, err := saga.Step[string](ctx, s, "charge", "Charge", orderID, durable.Standard("charge"), saga.Compensation{})
		if err != nil {
			return err
		}
		s.Add("charge", saga.Activity("Refund", paymentID).WithOptions(durable.Long("refund "+paymentID)))
		return nil
	}
	_ = pay
}

// The joined error keeps the cause and every failed compensation reachable.
func ExampleError() {
	errShip := errors.New("carrier down")
	errRefund := errors.New("card closed")
	var err error = &saga.Error{
		Cause:         errShip,
		Compensations: []saga.CompensationError{{Step: "charge", Err: errRefund}},
	}

	var ce *saga.CompensationError
	fmt.Println(errors.Is(err, errShip), errors.Is(err, errRefund), errors.As(err, &ce) && ce.Step == "charge")
	fmt.Println(err)
	// Output:
	// true true true
	// saga: compensation incomplete, undo by hand what the ledger lists as failed or skipped: carrier down; undo "charge" failed: card closed
}

// TripLegs is the input of BookTripInLegs: the leg to book in this run and
// the saga carried from the previous run.
type TripLegs struct {
	Trip string
	Leg  int
	Saga *saga.Checkpoint
}

// BookTripInLegs books one leg per run and continues as new between legs,
// carrying the saga: a failure in a later run undoes the legs of earlier runs.
func BookTripInLegs(ctx workflow.Context, in TripLegs) (err error) {
	s, err := saga.Resume(ctx, saga.Options{}, in.Saga)
	if err != nil {
		return err
	}
	defer s.CompensateOnError(ctx, &err)

	opts := durable.Quick("book " + in.Trip)
	switch in.Leg {
	case 1:
		_, err = saga.Step[string](ctx, s, "flight", BookFlight, in.Trip, opts, saga.Activity(CancelFlight, in.Trip))
	case 2:
		_, err = saga.Step[string](ctx, s, "hotel", BookHotel, in.Trip, opts, saga.Activity(CancelHotel, in.Trip))
	default:
		_, err = saga.Step[string](ctx, s, "car", BookCar, in.Trip, opts, saga.Compensation{})
		return err
	}
	if err != nil {
		return err
	}
	next := TripLegs{Trip: in.Trip, Leg: in.Leg + 1}
	if next.Saga, err = s.Checkpoint(); err != nil {
		return err
	}
	return workflow.NewContinueAsNewError(ctx, BookTripInLegs, next)
}

// A saga spans continue-as-new: each run carries its Checkpoint into the
// next, continuing as new undoes nothing, and the car that cannot be booked
// in run 3 undoes the hotel of run 2 and the flight of run 1, once each.
func ExampleResume() {
	in := TripLegs{Trip: "trip-9", Leg: 1}
	for {
		var ts testsuite.WorkflowTestSuite
		ts.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
		env := ts.NewTestWorkflowEnvironment()
		env.RegisterWorkflow(BookTripInLegs)
		for _, a := range []any{BookFlight, CancelFlight, BookHotel, CancelHotel, BookCar} {
			env.RegisterActivity(a)
		}
		env.ExecuteWorkflow(BookTripInLegs, in)

		err := env.GetWorkflowError()
		var can *workflow.ContinueAsNewError
		if !errors.As(err, &can) {
			fmt.Println("run", in.Leg, "failed:", err != nil)
			break
		}
		// The server would start the next run with this input.
		if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &in); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("continued as new; compensations carried:", len(in.Saga.Undo))
	}
	// Output:
	// book flight trip-9
	// continued as new; compensations carried: 1
	// book hotel trip-9
	// continued as new; compensations carried: 2
	// book car trip-9
	// cancel hotel trip-9
	// cancel flight trip-9
	// run 3 failed: true
}
