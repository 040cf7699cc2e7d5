package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/ssestream"
	"github.com/openai/openai-go/v3/responses"
)

// respond makes one foreground Responses API call ([APIResponses]).
func (a *Activities) respond(ctx context.Context, ep *endpoint, req Request, at attemptInfo, hb *heartbeat) (Response, error) {
	params, err := buildResponseParams(req, ep, false)
	if err != nil {
		return Response{}, err
	}
	if !req.Stream {
		var res *http.Response
		r, err := ep.client.Responses.New(ctx, params, option.WithMaxRetries(0), option.WithResponseInto(&res))
		if err != nil {
			return Response{}, classify(err, res, at)
		}
		return finalAnswer(ep, r, res, at)
	}
	ctx, idle := a.idleTimer(ctx)
	defer idle.stop()
	var (
		res   *http.Response
		plain plainBody
		ev    eventReader
	)
	s := ep.client.Responses.NewStreaming(ctx, params, option.WithMaxRetries(0), option.WithResponseInto(&res), plain.option())
	defer func() { _ = s.Close() }()
	ev.out = deltasOf(ctx)
	_ = ev.read(s, idle, hb, nil) // no onID: it cannot fail
	if err := idle.err(ep, res, hb.progress()); err != nil {
		return Response{}, err
	}
	return ev.answer(ep, s.Err(), res, plain, at)
}

// eventReader reads a Responses API event stream: the text so far, the
// generation's id, the last sequence number and the terminal event.
type eventReader struct {
	id    string
	seq   int64
	final *responses.Response
	// failure is an "error" event, which openai-go delivers as an ordinary
	// event: the stream then ends without a terminal response.
	failure *ErrorDetails
	// created reports the response.created event (or any event naming the
	// response id) was seen.
	created bool
	// out receives the answer's text deltas (nil: none).
	out *deltas
}

// read consumes s until it ends or a terminal event arrives. onID runs once,
// when the response id is first known; an error from it stops the read.
func (e *eventReader) read(s *ssestream.Stream[responses.ResponseStreamEventUnion], idle *idleTimer, hb *heartbeat, onID func(id string) error) error {
	for s.Next() {
		idle.reset()
		ev := s.Current()
		if ev.SequenceNumber > e.seq {
			e.seq = ev.SequenceNumber
		}
		if id := ev.Response.ID; id != "" && e.id == "" {
			e.id, e.created = id, true
			if onID != nil {
				if err := onID(id); err != nil {
					return err
				}
			}
		}
		content := 0
		switch ev.Type {
		case "response.output_text.delta", "response.refusal.delta":
			content = len(ev.Delta)
			e.out.delta(ev.Delta)
		case "response.function_call_arguments.delta":
			content = len(ev.Delta)
		case "response.completed", "response.incomplete", "response.failed", "response.cancelled":
			r := ev.Response
			e.final = &r
		case "error":
			e.failure = &ErrorDetails{Code: ev.Code, Message: ev.Message}
		}
		seq, id := e.seq, e.id
		hb.update(func(p *Progress) {
			p.Chunks++
			p.Chars += content
			if content > 0 {
				p.Tokens++
			}
			p.Sequence, p.ResponseID = seq, id
		})
		if e.final != nil || e.failure != nil {
			return nil
		}
	}
	return nil
}

// answer is the outcome of a read stream: the terminal response, the error
// event, the stream's error, a plain JSON answer, or a truncated attempt.
func (e *eventReader) answer(ep *endpoint, streamErr error, res *http.Response, plain plainBody, at attemptInfo) (Response, error) {
	switch {
	case e.failure != nil:
		d := *e.failure
		d.Status = statusOf(res)
		return Response{}, classified(errors.New(d.Message), d, headerOf(res), true, at)
	case e.final != nil:
		return finalAnswer(ep, e.final, res, at)
	case streamErr != nil:
		return Response{}, classify(streamErr, res, at)
	case plain.body != nil:
		var r responses.Response
		if err := json.Unmarshal(plain.body, &r); err != nil || r.ID == "" {
			return Response{}, truncated(ep, res, "streamed request answered with a JSON document that is not a response", true)
		}
		return finalAnswer(ep, &r, res, at)
	}
	return Response{}, truncated(ep, res, fmt.Sprintf("stream ended without response.completed after event %d", e.seq), true)
}

// finalAnswer converts a response in a terminal state, or fails: a failed
// response is classified by its error code, a cancelled or unfinished one
// is a truncated attempt.
func finalAnswer(ep *endpoint, r *responses.Response, res *http.Response, at attemptInfo) (Response, error) {
	switch r.Status {
	case responses.ResponseStatusCompleted, responses.ResponseStatusIncomplete, "":
		resp := responseAnswer(r)
		resp.RequestID = requestID(res)
		return resp, nil
	case responses.ResponseStatusFailed:
		d := ErrorDetails{Status: statusOf(res), Code: string(r.Error.Code), Message: r.Error.Message, ResponseID: r.ID}
		if d.Message == "" {
			d.Message = "the response failed"
		}
		return Response{}, classified(errors.New(d.Message), d, headerOf(res), true, at)
	case responses.ResponseStatusCancelled:
		return Response{}, truncated(ep, res, fmt.Sprintf("response %s was cancelled at the provider", r.ID), true)
	}
	return Response{}, truncated(ep, res, fmt.Sprintf("response %s is %s, not finished", r.ID, strings.ReplaceAll(string(r.Status), "_", " ")), true)
}

func headerOf(res *http.Response) http.Header {
	if res == nil {
		return nil
	}
	return res.Header
}
