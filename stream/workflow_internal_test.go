package stream

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

type hostInput struct {
	State       *State
	CarryBytes  int
	PollTimeout time.Duration
}

// hostWorkflow holds a stream until the "finish" signal, then drains it and
// returns its state.
func hostWorkflow(ctx workflow.Context, in hostInput) (*State, error) {
	s, err := New(ctx, Options{State: in.State, CarryBytes: in.CarryBytes, PollTimeout: in.PollTimeout})
	if err != nil {
		return nil, err
	}
	workflow.GetSignalChannel(ctx, "finish").Receive(ctx, nil)
	if err := s.Drain(ctx); err != nil {
		return nil, err
	}
	return s.State(ctx), nil
}

func batch(t *testing.T, pub string, seq int64, topic string, texts ...string) PublishInput {
	t.Helper()
	in := PublishInput{PublisherID: pub, Sequence: seq}
	for _, s := range texts {
		data, err := encodeEvent(Event{Kind: KindDelta, Text: s})
		require.NoError(t, err)
		in.Items = append(in.Items, PublishEntry{Topic: topic, Data: data})
	}
	return in
}

func texts(t *testing.T, res PollResult) []string {
	t.Helper()
	var out []string
	for _, it := range res.Items {
		ev, err := decodeItem(it)
		require.NoError(t, err)
		out = append(out, ev.Text)
	}
	return out
}

func read(t *testing.T, env *testsuite.TestWorkflowEnvironment, from int64, topics ...string) (PollResult, error) {
	t.Helper()
	v, err := env.QueryWorkflow(ReadQuery, PollInput{FromOffset: from, Topics: topics})
	if err != nil {
		return PollResult{}, err
	}
	var res PollResult
	require.NoError(t, v.Get(&res))
	return res, nil
}

func newEnv() *testsuite.TestWorkflowEnvironment {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(hostWorkflow)
	return env
}

func TestPublishDeduplicatesBySequence(t *testing.T) {
	env := newEnv()
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(PublishSignal, batch(t, "p1", 1, "llm", "a", "b"))
		env.SignalWorkflow(PublishSignal, batch(t, "p1", 1, "llm", "a", "b")) // re-sent
		env.SignalWorkflow(PublishSignal, batch(t, "p2", 1, "llm", "x"))      // another publisher
		env.SignalWorkflow(PublishSignal, batch(t, "p1", 2, "llm", "c"))
		env.SignalWorkflow(PublishSignal, batch(t, "p1", 2, "llm", "c")) // re-sent
	}, time.Second)
	env.RegisterDelayedCallback(func() {
		res, err := read(t, env, 0)
		require.NoError(t, err)
		assert.Equal(t, []string{"a", "b", "x", "c"}, texts(t, res))
		assert.Equal(t, int64(4), res.NextOffset)
		for i, it := range res.Items {
			assert.Equal(t, int64(i), it.Offset)
		}
		v, err := env.QueryWorkflow(OffsetQuery)
		require.NoError(t, err)
		var off int64
		require.NoError(t, v.Get(&off))
		assert.Equal(t, int64(4), off)
		env.SignalWorkflow("finish", nil)
	}, 2*time.Second)
	env.ExecuteWorkflow(hostWorkflow, hostInput{})
	require.NoError(t, env.GetWorkflowError())
	var st *State
	require.NoError(t, env.GetWorkflowResult(&st))
	assert.Equal(t, int64(2), st.Publishers["p1"].Sequence)
	assert.Equal(t, int64(1), st.Publishers["p2"].Sequence)
}

func TestPollWaitsForItemsOfItsTopics(t *testing.T) {
	env := newEnv()
	var (
		got    PollResult
		doneAt time.Time
	)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(PollUpdate, "poll-1", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { t.Errorf("poll rejected: %v", err) },
			OnComplete: func(v any, err error) {
				require.NoError(t, err)
				got, doneAt = v.(PollResult), env.Now()
			},
		}, PollInput{Topics: []string{"answer"}})
	}, time.Second)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(PublishSignal, batch(t, "p", 1, "status", "busy"))
	}, time.Minute)
	env.RegisterDelayedCallback(func() {
		assert.True(t, doneAt.IsZero(), "an item of another topic must not end the poll")
		env.SignalWorkflow(PublishSignal, batch(t, "p", 2, "answer", "42"))
	}, 2*time.Minute)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow("finish", nil) }, 3*time.Minute)
	start := env.Now()
	env.ExecuteWorkflow(hostWorkflow, hostInput{})
	require.NoError(t, env.GetWorkflowError())
	assert.Equal(t, []string{"42"}, texts(t, got))
	assert.Equal(t, int64(1), got.Items[0].Offset)
	assert.Equal(t, int64(2), got.NextOffset)
	assert.GreaterOrEqual(t, doneAt.Sub(start), 2*time.Minute)
}

func TestPollTimeoutAnswersEmpty(t *testing.T) {
	env := newEnv()
	var (
		got  PollResult
		done bool
	)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(PollUpdate, "poll-1", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { t.Errorf("poll rejected: %v", err) },
			OnComplete: func(v any, err error) {
				require.NoError(t, err)
				got, done = v.(PollResult), true
			},
		}, PollInput{})
	}, time.Second)
	env.RegisterDelayedCallback(func() {
		assert.True(t, done, "the poll window has passed")
		env.SignalWorkflow("finish", nil)
	}, time.Hour)
	env.ExecuteWorkflow(hostWorkflow, hostInput{PollTimeout: 10 * time.Minute})
	require.NoError(t, env.GetWorkflowError())
	assert.Empty(t, got.Items)
	assert.Equal(t, int64(0), got.NextOffset)
}

func TestPollValidation(t *testing.T) {
	env := newEnv()
	rejected := map[string]error{}
	poll := func(id string, in PollInput) {
		env.UpdateWorkflow(PollUpdate, id, &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { rejected[id] = err },
			OnComplete: func(any, error) {},
		}, in)
	}
	env.RegisterDelayedCallback(func() {
		poll("ahead", PollInput{FromOffset: 5})
		poll("negative", PollInput{FromOffset: -1})
	}, time.Second)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow("finish", nil) }, time.Minute)
	env.ExecuteWorkflow(hostWorkflow, hostInput{})
	require.NoError(t, env.GetWorkflowError())
	assert.True(t, IsFutureOffset(rejected["ahead"]), "got %v", rejected["ahead"])
	assert.True(t, IsFutureOffset(rejected["negative"]), "got %v", rejected["negative"])
	assert.Contains(t, rejected["ahead"].Error(), "resume from an offset the stream returned")
}

func TestDrainReleasesPollsAndRejectsNewOnes(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	var (
		first    PollResult
		released bool
		later    error
	)
	wf := func(ctx workflow.Context) error {
		s, err := New(ctx, Options{PollTimeout: -1})
		if err != nil {
			return err
		}
		_ = workflow.Sleep(ctx, time.Minute)
		if err := s.Drain(ctx); err != nil {
			return err
		}
		return workflow.Sleep(ctx, time.Minute) // serve a poll while drained
	}
	env.RegisterWorkflow(wf)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(PollUpdate, "waiting", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { t.Errorf("poll rejected: %v", err) },
			OnComplete: func(v any, err error) {
				require.NoError(t, err)
				first, released = v.(PollResult), true
			},
		}, PollInput{})
	}, time.Second)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(PollUpdate, "late", &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { later = err },
			OnComplete: func(any, error) {},
		}, PollInput{})
	}, 90*time.Second)
	env.ExecuteWorkflow(wf)
	require.NoError(t, env.GetWorkflowError())
	assert.True(t, released, "Drain ends the waiting poll")
	assert.Empty(t, first.Items)
	assert.True(t, IsDraining(later), "got %v", later)
}

func TestStateCarriesTheTailAndOffsets(t *testing.T) {
	item := strings.Repeat("x", 100)
	env := newEnv()
	env.RegisterDelayedCallback(func() {
		for i := range 10 {
			env.SignalWorkflow(PublishSignal, batch(t, "p", int64(i+1), "llm", item))
		}
		env.SignalWorkflow("finish", nil)
	}, time.Second)
	env.ExecuteWorkflow(hostWorkflow, hostInput{CarryBytes: 650})
	require.NoError(t, env.GetWorkflowError())
	var st *State
	require.NoError(t, env.GetWorkflowResult(&st))
	require.Len(t, st.Log, 3, "items of 207 encoded bytes: three fit in 650")
	assert.Equal(t, int64(7), st.BaseOffset)

	next := newEnv()
	next.RegisterDelayedCallback(func() {
		res, err := read(t, next, 0)
		require.NoError(t, err)
		require.Len(t, res.Items, 3)
		assert.Equal(t, []int64{7, 8, 9}, []int64{res.Items[0].Offset, res.Items[1].Offset, res.Items[2].Offset})
		_, err = read(t, next, 3)
		assert.True(t, IsTruncated(err), "got %v", err)
		base, ok := offsetDetail(err)
		assert.True(t, ok)
		assert.Equal(t, int64(7), base)
		next.SignalWorkflow(PublishSignal, batch(t, "p", 10, "llm", "dup")) // seen before continue-as-new
		next.SignalWorkflow(PublishSignal, batch(t, "p", 11, "llm", "new"))
	}, time.Second)
	next.RegisterDelayedCallback(func() {
		res, err := read(t, next, 10)
		require.NoError(t, err)
		assert.Equal(t, []string{"new"}, texts(t, res))
		assert.Equal(t, int64(10), res.Items[0].Offset)
		next.SignalWorkflow("finish", nil)
	}, 2*time.Second)
	next.ExecuteWorkflow(hostWorkflow, hostInput{State: st})
	require.NoError(t, next.GetWorkflowError())
}

func TestWorkflowPublishAppendsAndRefusesAnEventWithoutKind(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	wf := func(ctx workflow.Context) (PollResult, error) {
		s, err := New(ctx, Options{})
		if err != nil {
			return PollResult{}, err
		}
		if err := s.Publish(ctx, "status", Event{Text: "no kind"}); !errors.Is(err, ErrNoKind) {
			return PollResult{}, fmt.Errorf("want ErrNoKind, got %v", err)
		}
		if err := s.Publish(ctx, "status", Event{Kind: "status", Text: "drafting"}); err != nil {
			return PollResult{}, err
		}
		return s.read(PollInput{})
	}
	env.RegisterWorkflow(wf)
	env.ExecuteWorkflow(wf)
	require.NoError(t, env.GetWorkflowError())
	var res PollResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Len(t, res.Items, 1)
	ev, err := DecodeItem(res.Items[0])
	require.NoError(t, err)
	assert.Equal(t, Event{Offset: 0, Topic: "status", Kind: "status", Text: "drafting"}, ev)
}
