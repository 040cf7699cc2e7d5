package hitlhttp

import (
	"context"
	_ "embed"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/durable-llm/durable-llm/stream"
)

// Live configures the live view of a revision being written: the review's
// workflow hosts a stream (package stream, stream.New) and its Draft and
// Revise activities stream the model's answer into it
// (llm.Request.StreamTopic).
type Live struct {
	// Topics are the stream topics the drafts are published under; empty
	// means every topic.
	Topics []string
	// PollInterval is how often the stream is read for a browser that
	// follows it (reads are queries: nothing is written to the workflow's
	// history, and the review's handlers never wait for a reader). 0
	// means 500 ms.
	PollInterval time.Duration
}

// ContentSecurityPolicyLive is the policy of a review page that shows a
// revision being written: [ContentSecurityPolicy] plus the handler's own
// script (script-src 'self': no inline script, no eval, nothing from
// elsewhere) and its same-origin event stream. Every other answer carries
// ContentSecurityPolicy, which runs no script at all.
const ContentSecurityPolicyLive = ContentSecurityPolicy + "; script-src 'self'; connect-src 'self'"

//go:embed static/live.js
var liveJS []byte

func serveLiveJS(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(liveJS)
}

// liveView is what the page shows of the revision being written.
type liveView struct {
	// Text is the answer so far; Started says a call is in progress, Call
	// and Attempt which.
	Text    string
	Started bool
	Call    string
	Attempt int32
	// Failed and Reason report a failed attempt (a retry may follow);
	// Resets counts discarded attempts.
	Failed bool
	Reason string
	Resets int
	// Source is the event stream that continues from here; Status is the
	// JSON status the script polls once the answer ends.
	Source, Status string
}

// snapshotPages bounds the pages of about 1 MB the snapshot reads.
const snapshotPages = 4

// liveSnapshot reads the stream of review id as it is now: the answer in
// progress, if any, and the offset to follow from. A review whose
// workflow hosts no stream shows none.
func (h *Handler) liveSnapshot(ctx context.Context, id string) *liveView {
	lv := &liveView{}
	var tr stream.Transcript
	topic := ""
	from := int64(0)
	for range snapshotPages {
		v, err := h.c.QueryWorkflow(ctx, id, "", stream.ReadQuery, stream.PollInput{Topics: h.opts.Live.Topics, FromOffset: from})
		if err != nil {
			h.opts.Logger.Debug("hitlhttp: no live stream for the review", "review", id, "error", err)
			break
		}
		var res stream.PollResult
		if err := v.Get(&res); err != nil {
			break
		}
		for _, it := range res.Items {
			ev, err := stream.DecodeItem(it)
			if err != nil {
				continue
			}
			tr.Apply(ev)
			switch ev.Kind {
			case stream.KindDelta, stream.KindReset, stream.KindFailed, stream.KindEnd:
				topic = ev.Topic
			}
		}
		from = res.NextOffset
		if !res.MoreReady {
			break
		}
	}
	if a, ok := tr.Latest(topic); ok && topic != "" && !a.Ended {
		lv.Text, lv.Started, lv.Failed, lv.Reason, lv.Resets = a.Text, true, a.Failed, a.Reason, a.Resets
		lv.Call, lv.Attempt = a.Call, a.Attempt
	}
	q := url.Values{"from": {strconv.FormatInt(from, 10)}}
	lv.Source = h.reviewURL(id) + "/stream?" + q.Encode()
	lv.Status = h.opts.Prefix + "/api/reviews/" + url.PathEscape(id)
	return lv
}

// liveStream serves GET {prefix}/reviews/{id}/stream: the review's
// stream as Server-Sent Events (stream.SSEHandler), to reviewers who may
// read the review, limited to Live.Topics.
func (h *Handler) liveStream(w http.ResponseWriter, r *http.Request) {
	who, err := h.identify(r)
	if err != nil {
		h.writeError(w, err)
		return
	}
	id := r.PathValue("id")
	if err := checkID(id); err != nil {
		h.writeError(w, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.opts.Timeout)
	_, err = h.readable(ctx, who, id)
	cancel()
	if err != nil {
		h.writeError(w, err)
		return
	}
	q := r.URL.Query()
	q.Del("topic")
	for _, t := range h.opts.Live.Topics {
		q.Add("topic", t)
	}
	r2 := r.Clone(r.Context())
	r2.URL.RawQuery = q.Encode()
	h.sse.ServeHTTP(w, r2)
}
