package llm

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/durable-llm/durable-llm/stream"
)

// publication publishes the deltas of one streamed attempt to the
// workflow's stream (see [Request.StreamTopic]). A nil publication
// publishes nothing; its methods accept a nil receiver.
type publication struct {
	p *stream.Publisher
}

type publicationKey struct{}

// publish starts the publication of an attempt that streams chat
// completions for a request naming a StreamTopic, and returns ctx carrying
// it for the stream loop. The attempt's first event is a reset marker when
// it is a retry (reason "fallback" when it moved to another model than the
// attempt before).
func (a *Activities) publish(ctx context.Context, req Request, ep *endpoint, prevModel string) (context.Context, *publication) {
	if req.StreamTopic == "" || !req.Stream || ep.offline || ep.api != APIChatCompletions {
		return ctx, nil
	}
	reason := stream.ReasonRetry
	if prevModel != "" && prevModel != ep.name {
		reason = stream.ReasonFallback
	}
	p, err := stream.NewPublisher(ctx, stream.PublisherOptions{Topic: req.StreamTopic, Reason: reason})
	if err != nil { // not in an activity scheduled by a workflow: nobody to publish to
		return ctx, nil
	}
	pub := &publication{p: p}
	return context.WithValue(ctx, publicationKey{}, pub), pub
}

// publicationOf returns the publication ctx carries, or nil.
func publicationOf(ctx context.Context) *publication {
	p, _ := ctx.Value(publicationKey{}).(*publication)
	return p
}

// delta publishes the next piece of the answer (buffered, never blocking).
func (p *publication) delta(text string) {
	if p != nil {
		p.p.Delta(text)
	}
}

// close ends the attempt's events with its outcome (an end marker, or a
// failed marker with err) and waits at most 10 s for the last batch. A
// publisher that could not deliver is logged, never an error of the call:
// the answer is the activity's result, the stream only shows progress.
func (p *publication) close(ctx context.Context, err error) {
	if p == nil {
		return
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if cerr := p.p.Close(cctx, err); cerr != nil {
		activity.GetLogger(ctx).Warn("llm: stream publisher stopped; subscribers miss part of this attempt's deltas", "Error", cerr)
	}
}
