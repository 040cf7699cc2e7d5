package stream

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// SSEHandler serves a workflow's stream as Server-Sent Events, for
// browsers (EventSource) and any HTTP client. It does no access control:
// mount it behind your authentication (hitlhttp mounts it behind the
// reviewer's session).
//
// Each event is sent as
//
//	id: <offset>
//	event: <kind>            (delta, reset, failed, end, or "item" for an item that is not a JSON event)
//	data: <the Event as JSON: offset, topic, kind, call, attempt, text, reason>
//
// A reconnecting EventSource sends the last id in Last-Event-ID and the
// stream resumes after it, without gaps or repeats; a first request may
// pass ?from=<offset> instead (default 0) and ?topic=<name> (repeatable)
// to filter. Besides the events it sends "truncated" ({"requested",
// "base"}: the events between were dropped before they were read; the
// stream goes on from base), "closed" ({"next_offset"}: the workflow
// closed and everything was sent; close the EventSource, or it will
// reconnect) and "stream-error" ({"message"}; the connection then ends
// and the browser reconnects after the advised retry delay).
//
// A zero SSEHandler is not usable: set Client. It is safe for concurrent
// use.
type SSEHandler struct {
	// Client reads the workflow's stream.
	Client client.Client
	// WorkflowID returns the workflow the request reads; nil means the
	// request's path value "id" (a pattern like "GET /runs/{id}/events").
	WorkflowID func(*http.Request) string
	// Options apply to every subscription ([WithQueryPolling], for example).
	Options []SubscribeOption
	// KeepAlive is the interval of the comment lines that keep an idle
	// connection open through proxies; 0 means 15 seconds.
	KeepAlive time.Duration
	// Retry is the reconnection delay advised to browsers; 0 means 2
	// seconds.
	Retry time.Duration
	// Logger receives errors; nil means slog.Default().
	Logger *slog.Logger
}

// ServeHTTP streams the events until the workflow closes, the client goes
// away or an error ends the subscription.
func (h *SSEHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if h.WorkflowID != nil {
		id = h.WorkflowID(r)
	}
	if id == "" {
		http.Error(w, "stream: no workflow id in the request", http.StatusBadRequest)
		return
	}
	from, err := resumeOffset(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var nf *serviceerror.NotFound
	if _, err := h.Client.DescribeWorkflowExecution(r.Context(), id, ""); errors.As(err, &nf) {
		http.Error(w, fmt.Sprintf("stream: workflow %q not found", id), http.StatusNotFound)
		return
	} else if err != nil {
		h.logger().Error("stream: describe workflow", "workflow", id, "error", err)
		http.Error(w, "stream: Temporal is not reachable; try again", http.StatusBadGateway)
		return
	}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	retry := h.Retry
	if retry <= 0 {
		retry = 2 * time.Second
	}
	fmt.Fprintf(w, "retry: %d\n\n", retry.Milliseconds())
	if err := rc.Flush(); err != nil {
		h.logger().Error("stream: the response writer cannot flush; Server-Sent Events need one", "error", err)
		return
	}
	h.serve(r.Context(), w, rc, id, from, r.URL.Query()["topic"])
}

type item struct {
	ev  Event
	err error
}

// serve copies the subscription to w, with keep-alive comments.
func (h *SSEHandler) serve(ctx context.Context, w io.Writer, rc *http.ResponseController, id string, from int64, topics []string) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	opts := h.Options
	if len(topics) > 0 {
		opts = append(append([]SubscribeOption{}, opts...), WithTopics(topics...))
	}
	items := make(chan item)
	go func() {
		defer close(items)
		for ev, err := range Subscribe(ctx, h.Client, id, from, opts...) {
			select {
			case items <- item{ev, err}:
			case <-ctx.Done():
				return
			}
		}
	}()
	keep := h.KeepAlive
	if keep <= 0 {
		keep = 15 * time.Second
	}
	tick := time.NewTicker(keep)
	defer tick.Stop()
	next := from
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil {
				return
			}
		case it, ok := <-items:
			var trunc *TruncatedError
			switch {
			case !ok:
				_ = writeEvent(w, "", "closed", map[string]int64{"next_offset": next})
				_ = rc.Flush()
				return
			case errors.As(it.err, &trunc):
				_ = writeEvent(w, "", "truncated", map[string]int64{"requested": trunc.Requested, "base": trunc.Base})
				next = trunc.Base
			case it.err != nil:
				if ctx.Err() == nil {
					h.logger().Error("stream: subscription ended", "workflow", id, "error", it.err)
					_ = writeEvent(w, "", "stream-error", map[string]string{"message": it.err.Error()})
					_ = rc.Flush()
				}
				return
			default:
				if err := writeEvent(w, strconv.FormatInt(it.ev.Offset, 10), eventName(it.ev), sseData(it.ev)); err != nil {
					return
				}
				next = it.ev.Offset + 1
			}
			if err := rc.Flush(); err != nil {
				return
			}
		}
	}
}

// resumeOffset reads Last-Event-ID (resume after it) or ?from=.
func resumeOffset(r *http.Request) (int64, error) {
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("stream: Last-Event-ID %q is not an id this stream sent (a non-negative integer)", v)
		}
		return n + 1, nil
	}
	if v := r.URL.Query().Get("from"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("stream: from=%q is not an offset (a non-negative integer)", v)
		}
		return n, nil
	}
	return 0, nil
}

// eventName is the SSE event name of ev: its kind, or "item".
func eventName(ev Event) string {
	k := string(ev.Kind)
	if k == "" || strings.ContainsAny(k, "\r\n") {
		return "item"
	}
	return k
}

// sseData is the JSON of ev; a foreign item's payload as encoding and
// base64 data.
func sseData(ev Event) any {
	if ev.Payload == nil {
		return ev
	}
	return struct {
		Offset   int64  `json:"offset"`
		Topic    string `json:"topic"`
		Encoding string `json:"encoding"`
		Data     string `json:"data"`
	}{ev.Offset, ev.Topic, string(ev.Payload.GetMetadata()["encoding"]), base64.StdEncoding.EncodeToString(ev.Payload.GetData())}
}

func writeEvent(w io.Writer, id, name string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	var sb strings.Builder
	if id != "" {
		sb.WriteString("id: " + id + "\n")
	}
	sb.WriteString("event: " + name + "\ndata: ")
	sb.Write(b)
	sb.WriteString("\n\n")
	_, err = io.WriteString(w, sb.String())
	return err
}

func (h *SSEHandler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}
