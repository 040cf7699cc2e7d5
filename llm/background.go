package llm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/durable-llm/durable-llm/idem"
)

// maxResumes bounds the stream resumptions of one attempt; after them the
// attempt fails retryably and the next one resumes.
const maxResumes = 3

// pendingGen is the in-flight marker of a background generation, recorded
// with idem.SetPending (when [Config.Store] is set) and in the heartbeat.
type pendingGen struct {
	// ResponseID is the provider's response id.
	ResponseID string `json:"response_id"`
	// ModelName is the configured model the generation runs on: the retry
	// stays on it.
	ModelName string `json:"model_name"`
}

// pendingGeneration returns the background generation an earlier attempt
// of this activity started: the one recorded in the store (a takeover), else
// the one in the last heartbeat.
func pendingGeneration(ctx context.Context, prev Progress) (pendingGen, bool) {
	if g, ok, err := idem.Pending[pendingGen](ctx); err == nil && ok && g.ResponseID != "" {
		return g, true
	}
	if prev.ResponseID != "" {
		return pendingGen{ResponseID: prev.ResponseID, ModelName: prev.Model}, true
	}
	return pendingGen{}, false
}

// background runs one attempt on [APIResponsesBackground]: it follows the
// pending generation when there is one, else creates a generation with
// background: true and records its id before waiting for it.
func (a *Activities) background(ctx context.Context, ep *endpoint, req Request, at attemptInfo, hb *heartbeat, pending *pendingGen) (resp Response, err error) {
	params, err := buildResponseParams(req, ep, true)
	if err != nil {
		return Response{}, err
	}
	g := &bgCall{a: a, ep: ep, req: req, at: at, hb: hb}
	defer func() {
		g.settle(ctx, err)
		if err != nil && g.cancelled != nil {
			// What the provider generated, and billed, before the cancel:
			// the partial answer of a stopped call.
			resp = responseAnswer(g.cancelled)
			resp.RequestID = g.cancelID
		}
	}()
	if pending != nil {
		// A streamed generation is replayed from its first event (replaying
		// costs nothing): this attempt's text, which a stop returns and the
		// stream publishes after its reset marker, is then the whole answer.
		g.id, g.seq = pending.ResponseID, 0
		resp, err, gone := g.follow(ctx)
		if !gone {
			return resp, err
		}
		activityLogger(ctx).Warn("llm: the background generation an earlier attempt started is gone at the provider; starting a new one",
			"response_id", g.id, "model", ep.name)
		g.forget(ctx)
	}
	return g.create(ctx, params)
}

// bgCall is one attempt's hold on a background generation.
type bgCall struct {
	a   *Activities
	ep  *endpoint
	req Request
	at  attemptInfo
	hb  *heartbeat
	// id is the generation's id once known, seq the last event seen.
	id  string
	seq int64
	// dead reports the generation cannot be resumed (failed, cancelled,
	// gone): the next attempt starts a new one.
	dead bool
	// cancelled is the generation as the provider's cancel returned it,
	// and cancelID that answer's x-request-id.
	cancelled *responses.Response
	cancelID  string
}

// create starts the generation, records its id, and waits for it.
func (g *bgCall) create(ctx context.Context, params responses.ResponseNewParams) (Response, error) {
	if !g.req.Stream {
		var res *http.Response
		r, err := g.ep.client.Responses.New(ctx, params, option.WithMaxRetries(0), option.WithResponseInto(&res))
		if err != nil {
			return Response{}, classify(err, res, g.at)
		}
		created := time.Now()
		if err := g.record(ctx, r.ID, created); err != nil {
			return Response{}, err
		}
		return g.poll(ctx, r, res)
	}
	sctx, idle := g.a.idleTimer(ctx)
	defer idle.stop()
	var (
		res   *http.Response
		plain plainBody
		ev    eventReader
	)
	s := g.ep.client.Responses.NewStreaming(sctx, params, option.WithMaxRetries(0), option.WithResponseInto(&res), plain.option())
	defer func() { _ = s.Close() }()
	ev.out = deltasOf(ctx)
	if err := ev.read(s, idle, g.hb, func(id string) error { return g.record(ctx, id, time.Now()) }); err != nil {
		return Response{}, err
	}
	g.seq = ev.seq
	if ev.final == nil && ev.failure == nil && g.id != "" && plain.body == nil {
		// Cut, idle or failed mid-stream after the id was recorded: the
		// generation goes on at the provider; pick it up.
		return g.resume(ctx)
	}
	if err := idle.err(g.ep, res, g.hb.progress()); err != nil {
		return Response{}, err
	}
	resp, err := ev.answer(g.ep, s.Err(), res, plain, g.at)
	if ev.final != nil && err != nil {
		g.dead = true
	}
	return resp, err
}

// record makes the generation's id durable before it is waited for: in the
// store, and in the heartbeat. A store that cannot record it leaves the
// generation unprotected, so it is cancelled and the attempt fails
// retryably.
func (g *bgCall) record(ctx context.Context, id string, created time.Time) error {
	g.id = id
	// The store first: the heartbeat may be a round trip to the server
	// (the attempt's first is sent at once, and waited for), and a worker
	// that dies in between leaves the next attempt the store's record.
	err := idem.SetPending(ctx, pendingGen{ResponseID: id, ModelName: g.ep.name})
	window := time.Since(created) // recorded in the store
	g.hb.update(func(p *Progress) { p.ResponseID = id })
	if errors.Is(err, idem.ErrNotWrapped) {
		window = time.Since(created) // recorded in the heartbeat only
	}
	if g.a.onRecorded != nil {
		g.a.onRecorded(window)
	}
	recordWindow(ctx, window)
	if err == nil || errors.Is(err, idem.ErrNotWrapped) {
		return nil
	}
	g.cancel(ctx, "its id could not be recorded")
	g.dead = true
	return temporal.NewApplicationErrorWithOptions(
		fmt.Sprintf("llm: model %q: background response %s not recorded in llm.Config.Store, so it was cancelled: %v; retryable", g.ep.name, id, err),
		ErrTypeNotRecorded, temporal.ApplicationErrorOptions{Details: []any{ErrorDetails{ModelName: g.ep.name, Model: g.ep.id, ResponseID: id, Billed: true}}})
}

// follow waits for a generation an earlier attempt started. gone reports
// that the provider no longer has it.
func (g *bgCall) follow(ctx context.Context) (resp Response, err error, gone bool) {
	if g.req.Stream {
		resp, err = g.resume(ctx)
	} else {
		var res *http.Response
		r, gerr := g.ep.client.Responses.Get(ctx, g.id, responses.ResponseGetParams{}, option.WithMaxRetries(0), option.WithResponseInto(&res))
		if gerr != nil {
			return Response{}, g.resumeError(gerr, res), isNotFound(gerr)
		}
		resp, err = g.poll(ctx, r, res)
	}
	if err != nil && isNotFound(err) {
		return resp, err, true
	}
	return resp, err, false
}

// poll retrieves the generation every Config.PollInterval until it ends.
// res is the answer that created or first retrieved it: its x-request-id is
// the answer's.
func (g *bgCall) poll(ctx context.Context, r *responses.Response, res *http.Response) (Response, error) {
	t := time.NewTimer(g.a.cfg.PollInterval)
	defer t.Stop()
	for !terminal(r.Status) {
		g.hb.update(func(p *Progress) { p.Chunks++ })
		select {
		case <-ctx.Done():
			return Response{}, classify(ctx.Err(), nil, g.at)
		case <-t.C:
		}
		var (
			err  error
			pres *http.Response
		)
		if r, err = g.ep.client.Responses.Get(ctx, g.id, responses.ResponseGetParams{}, option.WithMaxRetries(0), option.WithResponseInto(&pres)); err != nil {
			return Response{}, g.resumeError(err, pres)
		}
		if res == nil {
			res = pres
		}
		t.Reset(g.a.cfg.PollInterval)
	}
	resp, err := finalAnswer(g.ep, r, res, g.at)
	if err != nil {
		g.dead = true
	}
	return resp, err
}

// resume streams the generation's events after the last one seen, up to
// maxResumes times.
func (g *bgCall) resume(ctx context.Context) (Response, error) {
	var last error
	for range maxResumes {
		resp, err, again := g.resumeOnce(ctx)
		if !again || ctx.Err() != nil {
			return resp, err
		}
		last = err
	}
	return Response{}, last
}

// resumeOnce streams the events after g.seq. again reports a stream that
// broke off again while the generation goes on.
func (g *bgCall) resumeOnce(ctx context.Context) (resp Response, err error, again bool) {
	sctx, idle := g.a.idleTimer(ctx)
	defer idle.stop()
	var (
		res   *http.Response
		plain plainBody
		ev    eventReader
	)
	q := responses.ResponseGetParams{}
	if g.seq > 0 {
		q.StartingAfter = openai.Int(g.seq)
	}
	// openai-go sends stream=true in the body of the GET; the API reads the
	// query (see DESIGN.md).
	s := g.ep.client.Responses.GetStreaming(sctx, g.id, q, option.WithMaxRetries(0), option.WithQuery("stream", "true"),
		option.WithResponseInto(&res), plain.option())
	defer func() { _ = s.Close() }()
	ev.id, ev.seq, ev.out = g.id, g.seq, deltasOf(ctx)
	_ = ev.read(s, idle, g.hb, nil)
	g.seq = ev.seq
	switch {
	case ev.final != nil || ev.failure != nil || plain.body != nil:
		resp, err = ev.answer(g.ep, nil, res, plain, g.at)
		if err != nil && ev.final != nil {
			g.dead = true
		}
		return resp, err, false
	case s.Err() != nil && statusOf(res) >= 400:
		return Response{}, g.resumeError(s.Err(), res), false
	}
	// Cut, idle or closed without a terminal event: the generation goes on.
	return Response{}, g.cut(res, idle.idle()), true
}

// cut is the retryable error of a resumable stream that broke off: not
// billed again (the generation goes on) and not the model's failure.
func (g *bgCall) cut(res *http.Response, idle bool) error {
	what := "stream broke off"
	if idle {
		what = fmt.Sprintf("stream idle for %s", g.a.cfg.StreamIdleTimeout)
	}
	return temporal.NewApplicationErrorWithOptions(
		fmt.Sprintf("llm: model %q: background response %s: %s after event %d; retryable: the next attempt resumes it", g.ep.name, g.id, what, g.seq),
		ErrTypeTruncated, temporal.ApplicationErrorOptions{Details: []any{ErrorDetails{
			ModelName: g.ep.name, Model: g.ep.id, Status: statusOf(res), RequestID: requestID(res), ResponseID: g.id,
		}}})
}

// resumeError classifies a failed retrieve: nothing new was bought.
func (g *bgCall) resumeError(err error, res *http.Response) error {
	cerr := classify(err, res, g.at)
	var ae *temporal.ApplicationError
	if errors.As(cerr, &ae) {
		if d, ok := Details(cerr); ok && d.Billed {
			d.Billed, d.ResponseID = false, g.id
			return temporal.NewApplicationErrorWithOptions(ae.Message(), ae.Type(), temporal.ApplicationErrorOptions{
				NonRetryable: ae.NonRetryable(), Cause: errors.Unwrap(cerr), Details: []any{d}, NextRetryDelay: ae.NextRetryDelay(),
			})
		}
	}
	return cerr
}

// settle ends the attempt's hold: a generation that is dead is forgotten;
// a live one is cancelled when the call is abandoned (the activity was
// cancelled, or it fails for good), and otherwise left for the next attempt.
func (g *bgCall) settle(ctx context.Context, err error) {
	if g.id == "" || err == nil {
		return
	}
	switch {
	case g.dead:
		g.forget(ctx)
	case abandoned(ctx, err):
		g.cancel(ctx, "the call was abandoned")
		g.dead = true
		g.forget(ctx)
	}
}

// forget clears the marker so that the next attempt starts afresh.
func (g *bgCall) forget(ctx context.Context) {
	g.hb.update(func(p *Progress) { p.ResponseID, p.Sequence = "", 0 })
	if err := idem.SetPending(ctx, nil); err != nil && !errors.Is(err, idem.ErrNotWrapped) {
		activityLogger(ctx).Warn("llm: could not clear the background response marker", "response_id", g.id, "error", err)
	}
	g.id, g.seq = "", 0
}

// cancel cancels the generation at the provider so it stops costing.
func (g *bgCall) cancel(ctx context.Context, why string) {
	cctx, stop := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer stop()
	var res *http.Response
	r, err := g.ep.client.Responses.Cancel(cctx, g.id, option.WithMaxRetries(0), option.WithResponseInto(&res))
	log := activityLogger(ctx)
	if err != nil {
		log.Warn("llm: could not cancel the background response", "response_id", g.id, "reason", why, "error", err)
		return
	}
	g.cancelled, g.cancelID = r, requestID(res)
	log.Info("llm: cancelled the background response", "response_id", g.id, "reason", why)
}

// abandoned reports whether nobody will wait for the generation any more:
// the attempt fails for good, the activity was cancelled (its workflow was
// cancelled), the server no longer knows the attempt (its workflow closed),
// or a caller outside an activity gave up. An attempt that timed out, lost
// its claim to another attempt, was paused or reset, lost touch with the
// server, or stops with its worker leaves the generation to the next
// attempt.
func abandoned(ctx context.Context, err error) bool {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) && (ae.NonRetryable() || isNonRetryableType(ae.Type())) {
		return true
	}
	if ctx.Err() == nil || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return false
	}
	if !activity.IsActivity(ctx) {
		return true
	}
	cause := context.Cause(ctx)
	var cancelled *temporal.CanceledError
	var gone *serviceerror.NotFound
	return errors.As(cause, &cancelled) || errors.As(cause, &gone)
}

func terminal(s responses.ResponseStatus) bool {
	return s != responses.ResponseStatusQueued && s != responses.ResponseStatusInProgress
}

func isNotFound(err error) bool {
	var apiErr *openai.Error
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode == http.StatusNotFound
	}
	d, ok := Details(err)
	return ok && d.Status == http.StatusNotFound
}
