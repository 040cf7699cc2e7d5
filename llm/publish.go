package llm

import (
	"context"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/durable-llm/durable-llm/stream"
)

// deltas collects the text of one attempt's answer as it streams in (the
// partial answer of a stopped call is made of it) and, for a request naming
// a StreamTopic, publishes it to the workflow's stream. A nil *deltas
// collects and publishes nothing. It is used by one goroutine at a time:
// the stream loop, then the attempt once the loop returned.
type deltas struct {
	text strings.Builder
	pub  *stream.Publisher // nil: not published
	stop context.CancelFunc
}

type deltasKey struct{}

// collect returns ctx carrying the attempt's deltas. For a streamed request
// naming a StreamTopic the deltas are also published (the offline model's
// answer in paced pieces, see publishOffline); the publication's first
// event is a reset marker when the attempt is a retry (reason "fallback"
// when it moved to another model than the attempt before).
func (a *Activities) collect(ctx context.Context, req Request, ep *endpoint, prevModel string) (context.Context, *deltas) {
	d := &deltas{}
	if req.StreamTopic != "" && req.Stream {
		d.pub, d.stop = newPublisher(ctx, req, ep.name, prevModel)
	}
	return context.WithValue(ctx, deltasKey{}, d), d
}

// newPublisher returns the publisher of an attempt of req on the model
// named model, or nil outside an activity scheduled by a workflow. The
// publisher outlives the activity's cancellation, so that a stopped call
// still publishes its end marker; stop ends it.
func newPublisher(ctx context.Context, req Request, model, prevModel string) (*stream.Publisher, context.CancelFunc) {
	reason := stream.ReasonRetry
	if prevModel != "" && prevModel != model {
		reason = stream.ReasonFallback
	}
	pctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	p, err := stream.NewPublisher(pctx, stream.PublisherOptions{Topic: req.StreamTopic, Reason: reason})
	if err != nil { // not in an activity scheduled by a workflow: nobody to publish to
		stop()
		return nil, nil
	}
	return p, stop
}

// deltasOf returns the deltas ctx carries, or nil.
func deltasOf(ctx context.Context) *deltas {
	d, _ := ctx.Value(deltasKey{}).(*deltas)
	return d
}

// delta adds the next piece of the answer and publishes it (buffered,
// never blocking).
func (d *deltas) delta(text string) {
	if d == nil || text == "" {
		return
	}
	d.text.WriteString(text)
	if d.pub != nil {
		d.pub.Delta(text)
	}
}

// String returns the text collected so far.
func (d *deltas) String() string {
	if d == nil {
		return ""
	}
	return d.text.String()
}

// close ends the publication with the attempt's outcome (see closePublisher).
func (d *deltas) close(ctx context.Context, err error) {
	if d != nil && d.pub != nil {
		closePublisher(ctx, d.pub, err)
		d.stop()
	}
}

// closePublisher ends an attempt's events with its outcome (an end marker,
// or a failed marker with err) and waits at most 10 s for the last batch. A
// publisher that could not deliver is logged, never an error of the call:
// the answer is the activity's result, the stream only shows progress.
func closePublisher(ctx context.Context, p *stream.Publisher, err error) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if cerr := p.Close(cctx, err); cerr != nil {
		activity.GetLogger(ctx).Warn("llm: stream publisher stopped; subscribers miss part of this attempt's deltas", "Error", cerr)
	}
}

// republish publishes an answer an earlier attempt recorded in
// [Config.Store], which this attempt returns without calling the provider:
// a reset marker (the attempt is a retry), the whole text and an end
// marker, so that the stream shows the answer the workflow gets.
func (a *Activities) republish(ctx context.Context, req Request, resp Response) {
	if req.StreamTopic == "" || !req.Stream || !activity.IsActivity(ctx) {
		return
	}
	p, stop := newPublisher(ctx, req, resp.ModelName, previousProgress(ctx).Model)
	if p == nil {
		return
	}
	defer stop()
	if activity.GetInfo(ctx).Attempt <= 1 { // NewPublisher resets only retries
		_ = p.Publish(stream.Event{Kind: stream.KindReset, Reason: stream.ReasonRetry})
	}
	p.Delta(resp.Text)
	closePublisher(ctx, p, nil)
}
