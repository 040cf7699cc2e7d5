package stream

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// errEnd ends an iteration without an error.
var errEnd = errors.New("stream: end")

// subscription is the state of one Subscribe iteration.
type subscription struct {
	c          client.Client
	workflowID string
	cfg        subscribeConfig
	offset     int64
	runID      string    // the run the last poll reached
	closed     bool      // the workflow closed: read the tail and end
	last       time.Time // when the last answer came
	checked    time.Time // when the run's status was last checked (query mode)
	queryUntil time.Time // read with the query until then (the run refused polls)
}

// A poll not admitted within admitTimeout (the run's update slots are taken:
// the server refuses, and the SDK retries the refusal) makes the
// subscription read with the query for queryWindow before it polls again.
const (
	admitTimeout = 10 * time.Second
	queryWindow  = 30 * time.Second
)

// errNotAdmitted: the poll was not admitted within admitTimeout.
var errNotAdmitted = errors.New("stream: poll not admitted in time")

// A read the query does not answer within readTimeout is asked again: a
// query task handed to a worker that died is never answered, and the
// server would hold the query until the caller's deadline. A closed
// workflow's tail is asked for until closedReadLimit has passed.
var (
	readTimeout     = 10 * time.Second
	closedReadLimit = 2 * time.Minute
)

// errReadTimeout: the query was not answered within readTimeout.
var errReadTimeout = errors.New("stream: read not answered in time")

// next returns the next non-empty answer, or errEnd, a *TruncatedError or
// a lasting error.
func (s *subscription) next(ctx context.Context) (PollResult, error) {
	backoff := 200 * time.Millisecond
	var closedAt time.Time // when reading the closed workflow's tail began
	for {
		if err := ctx.Err(); err != nil {
			return PollResult{}, err
		}
		var (
			res PollResult
			err error
		)
		switch {
		case s.closed:
			if closedAt.IsZero() {
				closedAt = time.Now()
			}
			res, err = s.read(ctx)
			if err == nil && len(res.Items) == 0 {
				return res, errEnd
			}
			if err != nil && !IsTruncated(err) && !IsFutureOffset(err) {
				// A closed run's query is answered by a worker replaying it:
				// ask again while one may come (a worker restarting; the
				// server refuses the query at once when it has seen no
				// poller lately).
				if ctx.Err() == nil && (transient(err) || refused(err)) && time.Since(closedAt) < closedReadLimit {
					if werr := sleep(ctx, backoff); werr != nil {
						return res, werr
					}
					backoff = min(2*backoff, 5*time.Second)
					continue
				}
				return res, fmt.Errorf("stream: workflow %s closed and the rest of its stream could not be read: %w", s.workflowID, err)
			}
		case s.cfg.query || time.Now().Before(s.queryUntil):
			if err = s.wait(ctx, s.cfg.interval); err != nil {
				return res, err
			}
			res, err = s.read(ctx)
			if err == nil && len(res.Items) == 0 {
				if time.Since(s.checked) >= time.Second {
					s.checked = time.Now()
					s.runID = ""
					st, serr := s.status(ctx)
					if st == statusMissing {
						return res, serr
					}
					s.closed = st == statusClosed
				}
				continue
			}
		default:
			if err = s.wait(ctx, s.cfg.cooldown); err != nil {
				return res, err
			}
			res, err = s.poll(ctx)
		}
		s.last = time.Now()
		if res.MoreReady {
			s.last = time.Time{}
		}
		if err == nil {
			if len(res.Items) == 0 {
				s.offset = max(s.offset, res.NextOffset)
				continue
			}
			return res, nil
		}
		switch {
		case ctx.Err() != nil:
			return res, ctx.Err()
		case IsTruncated(err):
			base, _ := offsetDetail(err)
			return res, &TruncatedError{Requested: s.offset, Base: base}
		case IsFutureOffset(err):
			return res, err
		case IsDraining(err):
			continue // the cooldown paces the retries
		}
		st, serr := s.status(ctx)
		switch st {
		case statusMissing:
			return res, serr
		case statusContinued:
			s.runID = ""
			continue
		case statusClosed:
			s.closed = true
			continue
		}
		if refused(err) || errors.Is(err, errNotAdmitted) {
			// No update slot for this poll (10 in flight, 2,000 per run):
			// read with the query for a while.
			s.queryUntil = time.Now().Add(queryWindow)
			continue
		}
		if !transient(err) {
			return res, err
		}
		if err := s.wait(ctx, backoff); err != nil {
			return res, err
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// wait sleeps until d after the last answer.
func (s *subscription) wait(ctx context.Context, d time.Duration) error {
	return sleep(ctx, time.Until(s.last.Add(d)))
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// poll long-polls the latest run with the update.
func (s *subscription) poll(ctx context.Context) (PollResult, error) {
	var res PollResult
	actx, cancel := context.WithTimeout(ctx, admitTimeout)
	defer cancel()
	h, err := s.c.UpdateWorkflow(actx, client.UpdateWorkflowOptions{
		WorkflowID:   s.workflowID,
		UpdateName:   PollUpdate,
		Args:         []any{PollInput{Topics: s.cfg.topics, FromOffset: s.offset}},
		WaitForStage: client.WorkflowUpdateStageAccepted,
	})
	if err != nil {
		if ctx.Err() == nil && actx.Err() != nil {
			return res, fmt.Errorf("%w: %w", errNotAdmitted, err)
		}
		return res, err
	}
	s.runID = h.RunID()
	return res, h.Get(ctx, &res)
}

// read reads the latest run with the query, within readTimeout.
func (s *subscription) read(ctx context.Context) (PollResult, error) {
	var res PollResult
	rctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	v, err := s.c.QueryWorkflow(rctx, s.workflowID, "", ReadQuery, PollInput{Topics: s.cfg.topics, FromOffset: s.offset})
	if err != nil {
		if ctx.Err() == nil && rctx.Err() != nil {
			return res, fmt.Errorf("%w (%s): %w", errReadTimeout, readTimeout, err)
		}
		return res, queryError(err)
	}
	return res, v.Get(&res)
}

// queryError turns the failure a query handler returned back into its
// *temporal.ApplicationError, so its type (and, without a payload codec,
// its details) can be read.
func queryError(err error) error {
	var qf *serviceerror.QueryFailed
	if errors.As(err, &qf) && qf.Failure != nil {
		if app := temporal.GetDefaultFailureConverter().FailureToError(qf.Failure); app != nil {
			return app
		}
	}
	return err
}

type runStatus int

const (
	statusUnknown runStatus = iota
	statusRunning
	statusContinued
	statusClosed
	statusMissing
)

// status describes the run the last poll reached (the latest run when
// none did). statusMissing comes with the error to report.
func (s *subscription) status(ctx context.Context) (runStatus, error) {
	d, err := s.c.DescribeWorkflowExecution(ctx, s.workflowID, s.runID)
	var nf *serviceerror.NotFound
	switch {
	case errors.As(err, &nf):
		return statusMissing, fmt.Errorf("stream: workflow %s not found: %w", s.workflowID, err)
	case err != nil:
		return statusUnknown, err
	}
	switch d.GetWorkflowExecutionInfo().GetStatus() {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return statusRunning, nil
	case enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW:
		return statusContinued, nil
	default:
		return statusClosed, nil
	}
}

// refused reports a poll the server refused for the run's update limits.
func refused(err error) bool {
	var (
		exhausted    *serviceerror.ResourceExhausted
		precondition *serviceerror.FailedPrecondition
	)
	return errors.As(err, &exhausted) || errors.As(err, &precondition)
}

// transient reports errors worth polling again for: the server or network
// being briefly unavailable, and a run that changed under the poll.
func transient(err error) bool {
	var (
		unavailable *serviceerror.Unavailable
		exhausted   *serviceerror.ResourceExhausted
		deadline    *serviceerror.DeadlineExceeded
		notFound    *serviceerror.NotFound
		aborted     *serviceerror.Aborted
		timeout     *client.WorkflowUpdateServiceTimeoutOrCanceledError
	)
	return errors.As(err, &unavailable) || errors.As(err, &exhausted) || errors.As(err, &deadline) ||
		errors.As(err, &notFound) || errors.As(err, &aborted) || errors.As(err, &timeout) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errReadTimeout)
}
