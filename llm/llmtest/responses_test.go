package llmtest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/ssestream"
	"github.com/openai/openai-go/v3/responses"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/llm/llmtest"
)

func respParams(user string) responses.ResponseNewParams {
	return responses.ResponseNewParams{
		Model:        "gpt-test",
		Instructions: openai.String("be brief"),
		Input:        responses.ResponseNewParamsInputUnion{OfString: openai.String(user)},
	}
}

func background(p responses.ResponseNewParams) responses.ResponseNewParams {
	p.Background = openai.Bool(true)
	return p
}

// events is what a test reads from a Responses stream.
type events struct {
	types []string
	seqs  []int64
	text  string // output_text deltas
	last  responses.Response
	final string // type of the terminal event, "" when none came
	err   error
}

func readEvents(st *ssestream.Stream[responses.ResponseStreamEventUnion], stopAfter int64) events {
	var ev events
	for st.Next() {
		e := st.Current()
		ev.types = append(ev.types, e.Type)
		ev.seqs = append(ev.seqs, e.SequenceNumber)
		switch e.Type {
		case "response.output_text.delta":
			ev.text += e.Delta
		case "response.completed", "response.failed", "response.incomplete":
			ev.final, ev.last = e.Type, e.Response
		}
		if stopAfter >= 0 && e.SequenceNumber == stopAfter {
			break
		}
	}
	ev.err = st.Err()
	return ev
}

// consecutive reports whether seqs are from, from+1, ...
func consecutive(seqs []int64, from int64) bool {
	for i, s := range seqs {
		if s != from+int64(i) {
			return false
		}
	}
	return true
}

func TestResponsesCreate(t *testing.T) {
	s := llmtest.NewServer(t)
	c := newClient(s)
	p := respParams("hello there world")
	p.Metadata = map[string]string{"workflow": "wf-1"}
	res, err := c.Responses.New(t.Context(), p, option.WithHeader("Idempotency-Key", "key-1"))
	require.NoError(t, err)

	assert.Equal(t, "resp_llmtest_1", res.ID)
	assert.Equal(t, responses.ResponseStatusCompleted, res.Status)
	assert.Equal(t, "echo: hello there world", res.OutputText())
	assert.Equal(t, "gpt-test", res.Model)
	assert.False(t, res.Background)
	assert.NotZero(t, res.CreatedAt)
	assert.NotZero(t, res.CompletedAt)
	assert.Equal(t, "wf-1", res.Metadata["workflow"])
	require.Len(t, res.Output, 1)
	msg := res.Output[0].AsMessage()
	assert.Equal(t, "msg_llmtest_1", msg.ID)
	assert.Equal(t, "assistant", string(msg.Role))
	assert.Equal(t, responses.ResponseOutputMessageStatusCompleted, msg.Status)
	assert.Equal(t, int64(5), res.Usage.InputTokens, "2 instruction words + 3 input words")
	assert.Equal(t, int64(4), res.Usage.OutputTokens)
	assert.Equal(t, int64(9), res.Usage.TotalTokens)

	r := s.Requests()[0]
	assert.Equal(t, llmtest.EndpointResponses, r.Endpoint)
	assert.Equal(t, "be brief", r.Instructions)
	assert.Equal(t, []llmtest.Message{{Role: "user", Content: "hello there world"}}, r.Messages)
	assert.Equal(t, "key-1", r.IdempotencyKey)
	assert.Equal(t, "resp_llmtest_1", r.CallID)
	assert.True(t, r.Billed)

	call, ok := s.Call("resp_llmtest_1")
	require.True(t, ok)
	assert.Equal(t, llmtest.Call{
		ID: "resp_llmtest_1", Endpoint: llmtest.EndpointResponses, Model: "gpt-test", Request: 0,
		Status: llmtest.StatusCompleted, Billed: true, InputTokens: 5, OutputTokens: 4, Delivered: true,
		IdempotencyKey: "key-1", Metadata: map[string]string{"workflow": "wf-1"},
		Created: call.Created, Finished: call.Finished, DeliveredAt: call.DeliveredAt,
	}, call)
	assert.False(t, call.DeliveredAt.Before(call.Finished), "delivered after it was generated and billed")
	assert.False(t, call.Finished.Before(call.Created))
	assert.Equal(t, llmtest.Stats{Calls: 1, Billed: 1, InputTokens: 5, OutputTokens: 4}, s.Stats())
}

func TestResponsesStreamEvents(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Text("one two"))
	ev := readEvents(newClient(s).Responses.NewStreaming(t.Context(), respParams("go")), -1)
	require.NoError(t, ev.err)
	assert.Equal(t, []string{
		"response.created", "response.in_progress",
		"response.output_item.added", "response.content_part.added",
		"response.output_text.delta", "response.output_text.delta",
		"response.output_text.done", "response.content_part.done", "response.output_item.done",
		"response.completed",
	}, ev.types)
	assert.True(t, consecutive(ev.seqs, 0), "sequence numbers count from 0: %v", ev.seqs)
	assert.Equal(t, "one two", ev.text)
	assert.Equal(t, "response.completed", ev.final)
	assert.Equal(t, "one two", ev.last.OutputText())
	assert.Equal(t, int64(2), ev.last.Usage.OutputTokens)

	call := s.Calls()[0]
	assert.True(t, call.Stream)
	assert.True(t, call.Delivered)
	assert.False(t, call.Abandoned)
}

func TestBackgroundCreateThenRetrieve(t *testing.T) {
	s := llmtest.NewServer(t)
	c := newClient(s)
	res, err := c.Responses.New(t.Context(), background(respParams("in the background")))
	require.NoError(t, err)
	assert.Equal(t, responses.ResponseStatusQueued, res.Status, "create answers at once")
	assert.True(t, res.Background)
	assert.Empty(t, res.Output)

	require.True(t, s.WaitSettled(waitFor), "the generation finishes without anyone asking")
	assert.Equal(t, 1, s.Billed(), "billed once, before anyone fetched it")
	call, _ := s.Call(res.ID)
	assert.False(t, call.Delivered)

	got, err := c.Responses.Get(t.Context(), res.ID, responses.ResponseGetParams{})
	require.NoError(t, err)
	assert.Equal(t, responses.ResponseStatusCompleted, got.Status)
	assert.Equal(t, "echo: in the background", got.OutputText())
	assert.Equal(t, int64(4), got.Usage.OutputTokens)

	again, err := c.Responses.Get(t.Context(), res.ID, responses.ResponseGetParams{})
	require.NoError(t, err)
	assert.Equal(t, got.OutputText(), again.OutputText())
	assert.Equal(t, 1, s.Billed(), "retrieving is free")
	call, _ = s.Call(res.ID)
	assert.True(t, call.Delivered)
	assert.Equal(t, llmtest.EndpointRetrieve, s.Requests()[1].Endpoint)
	assert.Equal(t, res.ID, s.Requests()[1].ResponseID)
}

func TestBackgroundRetrieveWhileInProgressThenCancel(t *testing.T) {
	s := llmtest.NewServer(t)
	hold := make(chan struct{})
	defer close(hold)
	s.Enqueue(llmtest.Reply{Content: "a b c", Hold: hold})
	c := newClient(s)
	res, err := c.Responses.New(t.Context(), background(respParams("go")))
	require.NoError(t, err)

	// Wait until the generation is held before its last piece.
	var got *responses.Response
	require.Eventually(t, func() bool {
		got, err = c.Responses.Get(t.Context(), res.ID, responses.ResponseGetParams{})
		return err == nil && got.OutputText() == "a b "
	}, waitFor, 5*time.Millisecond, "the pieces before the hold are generated")
	assert.Equal(t, responses.ResponseStatusInProgress, got.Status)
	assert.False(t, got.JSON.Usage.Valid() && got.Usage.OutputTokens > 0, "no usage before the end")
	require.Eventually(t, func() bool { c, _ := s.Call(res.ID); return c.Held }, waitFor, 5*time.Millisecond,
		"Call.Held reports the pause")

	cancelled, err := c.Responses.Cancel(t.Context(), res.ID)
	require.NoError(t, err)
	assert.Equal(t, responses.ResponseStatusCancelled, cancelled.Status)
	assert.Equal(t, "a b ", cancelled.OutputText(), "what was generated is kept")
	assert.Equal(t, int64(2), cancelled.Usage.OutputTokens, "a cancelled response bills what was generated")

	again, err := c.Responses.Cancel(t.Context(), res.ID)
	require.NoError(t, err)
	assert.Equal(t, responses.ResponseStatusCancelled, again.Status, "cancelling twice is idempotent")

	require.True(t, s.WaitSettled(waitFor))
	require.Eventually(t, func() bool { c, _ := s.Call(res.ID); return !c.Held }, waitFor, 5*time.Millisecond,
		"the cancel ends the hold")
	call, _ := s.Call(res.ID)
	assert.True(t, call.Cancelled)
	assert.True(t, call.Billed)
	assert.Equal(t, 2, call.OutputTokens)
	assert.Equal(t, llmtest.Stats{Calls: 1, Billed: 1, InputTokens: 3, OutputTokens: 2, Cancelled: 1}, s.Stats())
}

func TestCancelQueuedIsNotBilled(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Hung())
	c := newClient(s)
	res, err := c.Responses.New(t.Context(), background(respParams("go")))
	require.NoError(t, err)
	got, err := c.Responses.Get(t.Context(), res.ID, responses.ResponseGetParams{})
	require.NoError(t, err)
	assert.Equal(t, responses.ResponseStatusQueued, got.Status, "Hang keeps a background response queued")
	assert.Equal(t, 1, s.Stats().InFlight)

	cancelled, err := c.Responses.Cancel(t.Context(), res.ID)
	require.NoError(t, err)
	assert.Equal(t, responses.ResponseStatusCancelled, cancelled.Status)
	require.True(t, s.WaitSettled(waitFor))
	assert.Zero(t, s.Billed(), "a response cancelled before it started costs nothing")
	assert.Equal(t, llmtest.Stats{Calls: 1, Cancelled: 1}, s.Stats())
}

func TestCancelCompletedReturnsIt(t *testing.T) {
	s := llmtest.NewServer(t)
	c := newClient(s)
	res, err := c.Responses.New(t.Context(), background(respParams("done soon")))
	require.NoError(t, err)
	require.True(t, s.WaitSettled(waitFor))
	got, err := c.Responses.Cancel(t.Context(), res.ID)
	require.NoError(t, err)
	assert.Equal(t, responses.ResponseStatusCompleted, got.Status)
	assert.Equal(t, "echo: done soon", got.OutputText())
	assert.Equal(t, llmtest.Stats{Calls: 1, Billed: 1, InputTokens: 4, OutputTokens: 3}, s.Stats())
}

func TestBackgroundStreamResumeAfterSequence(t *testing.T) {
	for _, form := range []string{"body", "query"} {
		t.Run(form, func(t *testing.T) {
			s := llmtest.NewServer(t)
			hold := make(chan struct{})
			s.Enqueue(llmtest.Reply{Content: "alpha beta gamma delta", Hold: hold})
			c := newClient(s)

			// Read until the first delta, then go away (a worker dies).
			ctx, cancel := context.WithCancel(t.Context())
			st := c.Responses.NewStreaming(ctx, background(respParams("go")))
			var id string
			var cursor int64 = -1
			for st.Next() {
				e := st.Current()
				if e.Type == "response.created" {
					id = e.Response.ID
					assert.Equal(t, responses.ResponseStatusQueued, e.Response.Status)
				}
				cursor = e.SequenceNumber
				if e.Type == "response.output_text.delta" {
					assert.Equal(t, "alpha ", e.Delta)
					break
				}
			}
			cancel()
			_ = st.Close()
			require.NotEmpty(t, id)
			require.True(t, s.WaitHandled(1, waitFor), "the server notices the client left")
			close(hold) // the generation goes on without any client

			opts := []option.RequestOption{}
			if form == "query" {
				opts = append(opts, option.WithQuery("stream", "true"))
			}
			ev := readEvents(c.Responses.GetStreaming(t.Context(), id, responses.ResponseGetParams{StartingAfter: openai.Int(cursor)}, opts...), -1)
			require.NoError(t, ev.err)
			require.NotEmpty(t, ev.seqs)
			assert.True(t, consecutive(ev.seqs, cursor+1), "resumed right after %d: %v", cursor, ev.seqs)
			assert.Equal(t, "beta gamma delta", ev.text, "no delta lost or repeated")
			assert.Equal(t, "response.completed", ev.final)
			assert.Equal(t, "alpha beta gamma delta", ev.last.OutputText())

			call, _ := s.Call(id)
			assert.True(t, call.Abandoned, "the first stream went away")
			assert.True(t, call.Delivered, "the resumed stream got the end")
			assert.Equal(t, 1, s.Billed(), "one generation, billed once")
			assert.Equal(t, 4, call.OutputTokens)
		})
	}
}

func TestRetrieveStreamRawQuery(t *testing.T) {
	s := llmtest.NewServer(t)
	c := newClient(s)
	res, err := c.Responses.New(t.Context(), background(respParams("x y")))
	require.NoError(t, err)
	require.True(t, s.WaitSettled(waitFor))

	// The spec's form: GET with ?stream=true&starting_after=N and no body.
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+"responses/"+res.ID+"?stream=true&starting_after=3", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "text/event-stream; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.True(t, strings.HasPrefix(string(body), "event: response.content_part.added\ndata: {"), "starts after sequence 3: %s", body)
	assert.Contains(t, string(body), `"sequence_number":4`)
	assert.NotContains(t, string(body), `"sequence_number":3,`)
	assert.Contains(t, string(body), "event: response.completed\n")
	r := s.Requests()[1]
	assert.True(t, r.Stream)
	require.NotNil(t, r.StartingAfter)
	assert.Equal(t, 3, *r.StartingAfter)
}

func TestResponsesToolCalls(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(
		llmtest.ToolCalls(
			llmtest.ToolCall{Name: "get_weather", Arguments: `{"city": "Paris"}`},
			llmtest.ToolCall{ID: "call_fixed", Name: "get_time", Arguments: `{}`},
		),
		llmtest.Text("It is sunny."),
	)
	c := newClient(s)
	p := respParams("weather?")
	p.Tools = []responses.ToolUnionParam{{OfFunction: &responses.FunctionToolParam{
		Name: "get_weather", Description: openai.String("Weather of a city"), Strict: openai.Bool(true),
		Parameters: map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}},
	}}}
	p.ToolChoice = responses.ResponseNewParamsToolChoiceUnion{OfToolChoiceMode: openai.Opt(responses.ToolChoiceOptionsRequired)}
	p.ParallelToolCalls = openai.Bool(true)
	res, err := c.Responses.New(t.Context(), p)
	require.NoError(t, err)

	require.Len(t, res.Output, 2, "no message item when there is no text")
	fc := res.Output[0].AsFunctionCall()
	assert.Equal(t, "function_call", res.Output[0].Type)
	assert.Equal(t, "fc_llmtest_1_1", fc.ID)
	assert.Equal(t, "call_llmtest_1_1", fc.CallID)
	assert.Equal(t, "get_weather", fc.Name)
	assert.JSONEq(t, `{"city":"Paris"}`, fc.Arguments)
	assert.Equal(t, "call_fixed", res.Output[1].AsFunctionCall().CallID)
	assert.Empty(t, res.OutputText())
	assert.Equal(t, int64(3), res.Usage.OutputTokens, "words of the arguments: 2 + 1")

	r := s.Requests()[0]
	require.Len(t, r.Tools, 1)
	assert.Equal(t, "function", r.Tools[0].Type)
	assert.Equal(t, "get_weather", r.Tools[0].Name)
	assert.Equal(t, "Weather of a city", r.Tools[0].Description)
	assert.True(t, r.Tools[0].Strict)
	assert.JSONEq(t, `{"type":"object","properties":{"city":{"type":"string"}}}`, string(r.Tools[0].Parameters))
	assert.JSONEq(t, `"required"`, string(r.ToolChoice))
	require.NotNil(t, r.ParallelToolCalls)
	assert.True(t, *r.ParallelToolCalls)

	// Second turn: the calls and their outputs go back as input items.
	out := responses.ResponseInputItemParamOfFunctionCallOutput(`{"temp": 21}`)
	out.OfFunctionCallOutput.CallID = openai.String(fc.CallID)
	p2 := responses.ResponseNewParams{Model: "gpt-test", Input: responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{
		responses.ResponseInputItemParamOfMessage("weather?", responses.EasyInputMessageRoleUser),
		responses.ResponseInputItemParamOfFunctionCall(fc.Arguments, fc.CallID, fc.Name),
		out,
	}}}
	res2, err := c.Responses.New(t.Context(), p2)
	require.NoError(t, err)
	assert.Equal(t, "It is sunny.", res2.OutputText())
	r2 := s.Requests()[1]
	assert.Equal(t, []llmtest.Message{
		{Role: "user", Content: "weather?"},
		{Role: "assistant", ToolCalls: []llmtest.ToolCall{{ID: "call_llmtest_1_1", Name: "get_weather", Arguments: `{"city": "Paris"}`}}},
		{Role: "tool", ToolCallID: "call_llmtest_1_1", Content: `{"temp": 21}`},
	}, r2.Messages)
	got, ok := r2.ToolResult("call_llmtest_1_1")
	assert.True(t, ok)
	assert.Equal(t, `{"temp": 21}`, got)
	_, ok = r2.ToolResult("call_fixed")
	assert.False(t, ok)
}

func TestResponsesToolCallsStream(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Reply{Content: "Let me look.", Chunks: 2, ToolCalls: []llmtest.ToolCall{{Name: "search", Arguments: `{"q":"otters"}`}}})
	st := newClient(s).Responses.NewStreaming(t.Context(), respParams("go"))
	var types []string
	var args, doneArgs, doneName string
	var added responses.ResponseOutputItemUnion
	var final responses.Response
	for st.Next() {
		e := st.Current()
		types = append(types, e.Type)
		switch e.Type {
		case "response.output_item.added":
			if e.Item.Type == "function_call" {
				added = e.Item
			}
		case "response.function_call_arguments.delta":
			assert.Equal(t, int64(1), e.OutputIndex, "after the message item")
			assert.Equal(t, "fc_llmtest_1_1", e.ItemID)
			args += e.Delta
		case "response.function_call_arguments.done":
			// openai-go v3.96.0 does not decode the spec's "name" field.
			var done struct{ Arguments, Name string }
			require.NoError(t, json.Unmarshal([]byte(e.RawJSON()), &done))
			doneArgs, doneName = done.Arguments, done.Name
		case "response.completed":
			final = e.Response
		}
	}
	require.NoError(t, st.Err())
	assert.Equal(t, []string{
		"response.created", "response.in_progress",
		"response.output_item.added", "response.content_part.added",
		"response.output_text.delta", "response.output_text.delta",
		"response.output_text.done", "response.content_part.done", "response.output_item.done",
		"response.output_item.added",
		"response.function_call_arguments.delta", "response.function_call_arguments.delta",
		"response.function_call_arguments.done", "response.output_item.done",
		"response.completed",
	}, types)
	assert.Equal(t, "search", added.Name)
	assert.Equal(t, "call_llmtest_1_1", added.CallID)
	assert.JSONEq(t, `{"q":"otters"}`, args)
	assert.Equal(t, args, doneArgs)
	assert.Equal(t, "search", doneName)
	require.Len(t, final.Output, 2)
	assert.Equal(t, "Let me look.", final.OutputText())
	assert.JSONEq(t, `{"q":"otters"}`, final.Output[1].AsFunctionCall().Arguments)
}
