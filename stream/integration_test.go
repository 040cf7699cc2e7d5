package stream_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/stream"
)

func start(ctx context.Context, t *testing.T, c client.Client, w *durabletest.Worker, in chatInput) client.WorkflowRun {
	t.Helper()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: w.TaskQueue}, chatWorkflow, in)
	require.NoError(t, err)
	return run
}

// collect reads a subscription until it ends, failing on any error.
func collect(t *testing.T, seq func(func(stream.Event, error) bool)) []stream.Event {
	t.Helper()
	var out []stream.Event
	for ev, err := range seq {
		require.NoError(t, err)
		out = append(out, ev)
	}
	return out
}

// assertContiguous checks that evs have the offsets from, from+1, … (no gap,
// no repeat).
func assertContiguous(t *testing.T, evs []stream.Event, from int64) {
	t.Helper()
	for i, ev := range evs {
		if !assert.Equal(t, from+int64(i), ev.Offset, "event %d (%s %q)", i, ev.Kind, ev.Text) {
			return
		}
	}
}

func deltaText(evs []stream.Event) string {
	var b strings.Builder
	for _, ev := range evs {
		if ev.Kind == stream.KindDelta {
			b.WriteString(ev.Text)
		}
	}
	return b.String()
}

func firstWords(text string, n int) string {
	return strings.Join(strings.SplitAfter(text, " ")[:n], "")
}

func TestSubscribersResumeAfterDisconnectWithoutGapsOrRepeats(t *testing.T) {
	srv := durabletest.Server(t)
	w := durabletest.StartWorker(t, srv, register)
	c := srv.Client()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	text := words("tok", 200)
	half := firstWords(text, 100)
	g := uuid.NewString()
	defer func() {
		select {
		case <-gate(g):
		default:
			close(gate(g))
		}
	}()
	run := start(ctx, t, c, w, chatInput{Calls: []speech{{Text: text, Gate: g, Pace: time.Millisecond}}})

	mux := http.NewServeMux()
	mux.Handle("GET /runs/{id}/events", &stream.SSEHandler{Client: c})
	hs := httptest.NewServer(mux)
	defer hs.Close()
	url := hs.URL + "/runs/" + run.GetID() + "/events"

	// First connections: read until the first half (the activity holds
	// there), then go away.
	var got []stream.Event
	for ev, err := range stream.Subscribe(ctx, c, run.GetID(), 0) {
		require.NoError(t, err)
		got = append(got, ev)
		if deltaText(got) == half {
			break
		}
	}
	resp := sseConnect(ctx, t, url, "")
	var sseGot []stream.Event
	first, err := sseRead(resp.Body, func(e sseEvent) bool {
		var ev stream.Event
		require.NoError(t, json.Unmarshal([]byte(e.Data), &ev))
		sseGot = append(sseGot, ev)
		assert.Equal(t, strconv.FormatInt(ev.Offset, 10), e.ID)
		assert.Equal(t, string(ev.Kind), e.Name)
		return deltaText(sseGot) == half
	})
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())

	close(gate(g))

	// Resume: the iterator from the next offset, the browser with
	// Last-Event-ID. Both end when the workflow has closed.
	got = append(got, collect(t, stream.Subscribe(ctx, c, run.GetID(), got[len(got)-1].Offset+1))...)
	resp = sseConnect(ctx, t, url, first[len(first)-1].ID)
	second, err := sseRead(resp.Body, func(e sseEvent) bool { return e.Name == "closed" })
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.NotEmpty(t, second)
	closed := second[len(second)-1]
	require.Equal(t, "closed", closed.Name, "the stream ends with the closed event")
	for _, e := range second[:len(second)-1] {
		var ev stream.Event
		require.NoError(t, json.Unmarshal([]byte(e.Data), &ev))
		sseGot = append(sseGot, ev)
	}

	for name, evs := range map[string][]stream.Event{"iterator": got, "sse": sseGot} {
		t.Run(name, func(t *testing.T) {
			assertContiguous(t, evs, 0)
			assert.Equal(t, text, deltaText(evs), "every delta once, in order")
			require.NotEmpty(t, evs)
			assert.Equal(t, stream.KindEnd, evs[len(evs)-1].Kind)
			assert.Greater(t, len(evs), 2, "the answer came in several batches")
		})
	}
	assert.Equal(t, got, sseGot, "the browser saw what the iterator saw")
	assert.JSONEq(t, `{"next_offset":`+strconv.Itoa(len(got))+`}`, closed.Data)
	var answers []string
	require.NoError(t, run.Get(ctx, &answers))
	assert.Equal(t, []string{text}, answers, "the final text is the activity's result")

	// An offset the stream never gave is refused, not waited for.
	var future error
	for _, err := range stream.Subscribe(ctx, c, run.GetID(), int64(len(got)+5)) {
		future = err
		break
	}
	assert.True(t, stream.IsFutureOffset(future), "got %v", future)
}

func TestRetriedAttemptIsMarked(t *testing.T) {
	srv := durabletest.Server(t)
	c := srv.Client()
	text := words("word", 60)

	t.Run("retryable error", func(t *testing.T) {
		w := durabletest.StartWorker(t, srv, register)
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		run := start(ctx, t, c, w, chatInput{Calls: []speech{{Text: text, FailAttempts: 1}}})
		evs := collect(t, stream.Subscribe(ctx, c, run.GetID(), 0))
		assertContiguous(t, evs, 0)

		failed := indexOf(evs, stream.KindFailed)
		reset := indexOf(evs, stream.KindReset)
		require.GreaterOrEqual(t, failed, 0, "attempt 1 ends with a failed marker")
		require.Greater(t, reset, failed, "attempt 2 starts with a reset marker")
		assert.Equal(t, int32(1), evs[failed].Attempt)
		assert.Contains(t, evs[failed].Reason, "provider hiccup")
		assert.Equal(t, int32(2), evs[reset].Attempt)
		assert.Equal(t, stream.ReasonRetry, evs[reset].Reason)
		assert.Equal(t, firstWords(text, 30), deltaText(evs[:failed]), "the partial text of attempt 1")
		assert.Equal(t, text, deltaText(evs[reset:]))
		assert.Equal(t, evs[0].Call, evs[reset].Call, "one call, two attempts")

		var tr stream.Transcript
		for _, ev := range evs {
			tr.Apply(ev)
		}
		a, ok := tr.Latest(topic)
		require.True(t, ok)
		assert.Equal(t, text, a.Text, "the reader discards attempt 1's partial text")
		assert.Equal(t, 1, a.Resets)
		assert.True(t, a.Ended)
		assert.Equal(t, int32(2), a.Attempt)
	})

	t.Run("worker crash", func(t *testing.T) {
		w := durabletest.StartWorker(t, srv, register)
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		g := uuid.NewString()
		defer close(gate(g))
		run := start(ctx, t, c, w, chatInput{Calls: []speech{{Text: text, Gate: g, Timeout: 3 * time.Second}}})
		var evs []stream.Event
		for ev, err := range stream.Subscribe(ctx, c, run.GetID(), 0) {
			require.NoError(t, err)
			evs = append(evs, ev)
			if deltaText(evs) == firstWords(text, 30) {
				break
			}
		}
		w.Kill() // attempt 1 dies half-way; its start-to-close timeout retries it
		w.Restart()
		evs = append(evs, collect(t, stream.Subscribe(ctx, c, run.GetID(), evs[len(evs)-1].Offset+1))...)
		assertContiguous(t, evs, 0)
		assert.Equal(t, -1, indexOf(evs, stream.KindFailed), "a crashed attempt says nothing")
		reset := indexOf(evs, stream.KindReset)
		require.Positive(t, reset, "the retry is marked")
		assert.Equal(t, int32(2), evs[reset].Attempt)
		var tr stream.Transcript
		for _, ev := range evs {
			tr.Apply(ev)
		}
		a, _ := tr.Latest(topic)
		assert.Equal(t, text, a.Text)
		assert.True(t, a.Ended)
	})
}

func indexOf(evs []stream.Event, k stream.Kind) int {
	for i, ev := range evs {
		if ev.Kind == k {
			return i
		}
	}
	return -1
}

func TestStreamSpansContinueAsNew(t *testing.T) {
	srv := durabletest.Server(t)
	w := durabletest.StartWorker(t, srv, register)
	c := srv.Client()
	texts := []string{words("a", 40), words("b", 40), words("c", 40)}
	calls := make([]speech, len(texts))
	for i, s := range texts {
		calls[i] = speech{Text: s, Pace: time.Millisecond}
	}

	check := func(t *testing.T, evs []stream.Event, from int64) {
		t.Helper()
		assertContiguous(t, evs, from)
		var (
			got   []string
			cur   strings.Builder
			calls []string
		)
		for _, ev := range evs {
			switch ev.Kind {
			case stream.KindDelta:
				cur.WriteString(ev.Text)
			case stream.KindEnd:
				got = append(got, cur.String())
				calls = append(calls, ev.Call)
				cur.Reset()
			}
		}
		assert.Equal(t, texts[len(texts)-len(got):], got)
		runs := map[string]bool{}
		for _, call := range calls {
			runs[strings.SplitN(call, "/", 2)[0]] = true
		}
		assert.Len(t, runs, len(got), "each call ran in its own run")
	}

	t.Run("live subscribers", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		run := start(ctx, t, c, w, chatInput{Calls: calls, PerRun: 1})
		modes := map[string][]stream.SubscribeOption{
			"update": nil,
			"query":  {stream.WithQueryPolling(50 * time.Millisecond)},
		}
		var (
			wg  sync.WaitGroup
			mu  sync.Mutex
			got = map[string][]stream.Event{}
		)
		for name, opts := range modes {
			wg.Go(func() {
				evs := collect(t, stream.Subscribe(ctx, c, run.GetID(), 0, opts...))
				mu.Lock()
				got[name] = evs
				mu.Unlock()
			})
		}
		wg.Wait()
		for name := range modes {
			t.Run(name, func(t *testing.T) { check(t, got[name], 0) })
		}
		d, err := c.DescribeWorkflowExecution(ctx, run.GetID(), run.GetRunID())
		require.NoError(t, err)
		assert.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW, d.GetWorkflowExecutionInfo().GetStatus())

		// A reader arriving after the end reads the carried log of the last run.
		late := collect(t, stream.Subscribe(ctx, c, run.GetID(), 0))
		check(t, late, 0)
	})

	t.Run("carry nothing", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		run := start(ctx, t, c, w, chatInput{Calls: calls, PerRun: 1, CarryBytes: -1})
		var answers []string
		require.NoError(t, run.Get(ctx, &answers))
		var (
			trunc *stream.TruncatedError
			evs   []stream.Event
		)
		for ev, err := range stream.Subscribe(ctx, c, run.GetID(), 0) {
			if errors.As(err, &trunc) {
				continue
			}
			require.NoError(t, err)
			evs = append(evs, ev)
		}
		require.NotNil(t, trunc, "the late reader is told what it missed")
		assert.Equal(t, int64(0), trunc.Requested)
		require.NotEmpty(t, evs)
		assert.Equal(t, trunc.Base, evs[0].Offset)
		check(t, evs, trunc.Base)
		assert.Equal(t, []string{texts[2]}, []string{deltaText(evs)})

		// Resuming from a dropped offset, through the query this time.
		dropped := evs[0].Offset - 1
		trunc = nil
		for ev, err := range stream.Subscribe(ctx, c, run.GetID(), dropped, stream.WithQueryPolling(0)) {
			require.ErrorAs(t, err, &trunc, "got event %+v", ev)
			break
		}
		require.NotNil(t, trunc)
		assert.Equal(t, stream.TruncatedError{Requested: dropped, Base: evs[0].Offset}, *trunc)
		assert.GreaterOrEqual(t, evs[0].Offset, int64(4), "the two runs before held at least a delta and an end each")
	})
}

func TestSubscriberFallsBackToQueryWhenUpdateSlotsAreFull(t *testing.T) {
	srv := durabletest.Server(t)
	w := durabletest.StartWorker(t, srv, register)
	c := srv.Client()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	text := words("q", 40)
	half := firstWords(text, 20)
	g := uuid.NewString()
	var once sync.Once
	open := func() { once.Do(func() { close(gate(g)) }) }
	defer open()
	run := start(ctx, t, c, w, chatInput{Calls: []speech{{Text: text, Gate: g}}})

	// Ten subscribers to a topic nobody writes hold the run's ten update
	// slots (the dev server's limit on updates in flight).
	var parked sync.WaitGroup
	for range 10 {
		parked.Go(func() {
			for _, err := range stream.Subscribe(ctx, c, run.GetID(), 0, stream.WithTopics("nobody")) {
				assert.NoError(t, err)
			}
		})
	}
	require.Eventually(t, func() bool {
		return historyCost(ctx, t, c, run.GetID()).byType[enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED.String()] == 10
	}, time.Minute, 100*time.Millisecond, "ten polls wait in the workflow")

	// The eleventh gets the first half while the slots are still taken.
	var evs []stream.Event
	for ev, err := range stream.Subscribe(ctx, c, run.GetID(), 0) {
		require.NoError(t, err)
		evs = append(evs, ev)
		if deltaText(evs) == half {
			break
		}
	}
	open()
	evs = append(evs, collect(t, stream.Subscribe(ctx, c, run.GetID(), evs[len(evs)-1].Offset+1))...)
	assert.Equal(t, text, deltaText(evs))
	assertContiguous(t, evs, 0)
	parked.Wait()
}
