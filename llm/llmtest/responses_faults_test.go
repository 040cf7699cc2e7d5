package llmtest_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/llm/llmtest"
)

// One script works on both endpoints: the error replies of chat
// completions answer Responses creates the same way, background or not.
func TestResponsesErrorReplies(t *testing.T) {
	tests := []struct {
		name   string
		reply  llmtest.Reply
		status int
		code   string
		header string
		value  string
	}{
		{"retry-after", llmtest.RateLimited("retry-after", "2"), 429, "rate_limit_exceeded", "Retry-After", "2"},
		{"insufficient quota", llmtest.InsufficientQuota(), 429, "insufficient_quota", "", ""},
		{"context length", llmtest.ContextLengthExceeded(), 400, "context_length_exceeded", "", ""},
		{"server error", llmtest.ServerError(503), 503, "", "", ""},
		{"model not found", llmtest.ModelNotFound(), 404, "model_not_found", "", ""},
	}
	modes := map[string]func(context.Context, *openai.Client) error{
		"foreground": func(ctx context.Context, c *openai.Client) error {
			_, err := c.Responses.New(ctx, respParams("go"))
			return err
		},
		"background": func(ctx context.Context, c *openai.Client) error {
			_, err := c.Responses.New(ctx, background(respParams("go")))
			return err
		},
		"stream": func(ctx context.Context, c *openai.Client) error {
			return readEvents(c.Responses.NewStreaming(ctx, background(respParams("go"))), -1).err
		},
	}
	for _, tt := range tests {
		for mode, call := range modes {
			t.Run(tt.name+"/"+mode, func(t *testing.T) {
				s := llmtest.NewServer(t)
				s.Enqueue(tt.reply)
				err := call(t.Context(), newClient(s))
				var apiErr *openai.Error
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, tt.status, apiErr.StatusCode)
				assert.Equal(t, tt.code, apiErr.Code)
				if tt.header != "" {
					assert.Equal(t, tt.value, apiErr.Response.Header.Get(tt.header))
				}
				assert.Zero(t, s.Billed(), "errors are not billed")
				assert.Empty(t, s.Calls(), "an error starts no generation")
			})
		}
	}
}

func TestRateLimitStormThenSuccess(t *testing.T) {
	s := llmtest.NewServer(t)
	for range 5 {
		s.Enqueue(llmtest.RateLimited("retry-after-ms", "10"))
	}
	c := newClient(s)
	var tries int
	var res *responses.Response
	var err error
	for tries = 1; tries <= 10; tries++ {
		if res, err = c.Responses.New(t.Context(), background(respParams("go"))); err == nil {
			break
		}
	}
	require.NoError(t, err)
	assert.Equal(t, 6, tries)
	assert.Equal(t, responses.ResponseStatusQueued, res.Status)
	require.True(t, s.WaitSettled(waitFor))
	assert.Equal(t, 1, s.Billed())
}

func TestResponsesStreamErrorFails(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Reply{Content: "a b", StreamError: &llmtest.APIError{Message: "overloaded", Code: "server_error"}})
	c := newClient(s)
	ev := readEvents(c.Responses.NewStreaming(t.Context(), background(respParams("go"))), -1)
	require.NoError(t, ev.err, "an error event is an ordinary event for openai-go")
	require.GreaterOrEqual(t, len(ev.types), 2)
	assert.Equal(t, []string{"error", "response.failed"}, ev.types[len(ev.types)-2:])
	assert.Equal(t, "response.failed", ev.final)
	assert.Equal(t, responses.ResponseStatusFailed, ev.last.Status)
	assert.Equal(t, "overloaded", ev.last.Error.Message)
	assert.Equal(t, "a b", ev.text)

	got, err := c.Responses.Get(t.Context(), ev.last.ID, responses.ResponseGetParams{})
	require.NoError(t, err)
	assert.Equal(t, responses.ResponseStatusFailed, got.Status)
	assert.Equal(t, responses.ResponseErrorCode("server_error"), got.Error.Code)
	assert.Equal(t, 1, s.Billed(), "billed for what was generated")
}

func TestResponsesErrorEventFields(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Reply{StreamError: &llmtest.APIError{Message: "quota", Code: "insufficient_quota", Param: "model"}})
	st := newClient(s).Responses.NewStreaming(t.Context(), respParams("go"))
	var found bool
	for st.Next() {
		if e := st.Current(); e.Type == "error" {
			found = true
			assert.Equal(t, "insufficient_quota", e.Code)
			assert.Equal(t, "quota", e.Message)
			assert.Equal(t, "model", e.Param)
		}
	}
	require.NoError(t, st.Err())
	assert.True(t, found)
}

func TestResponsesIncomplete(t *testing.T) {
	for reason, want := range map[string]string{"length": "max_output_tokens", "content_filter": "content_filter"} {
		t.Run(reason, func(t *testing.T) {
			s := llmtest.NewServer(t)
			s.Enqueue(llmtest.Reply{Content: "partial", FinishReason: reason})
			ev := readEvents(newClient(s).Responses.NewStreaming(t.Context(), respParams("go")), -1)
			require.NoError(t, ev.err)
			assert.Equal(t, "response.incomplete", ev.final)
			assert.Equal(t, responses.ResponseStatusIncomplete, ev.last.Status)
			assert.Equal(t, want, ev.last.IncompleteDetails.Reason)
			assert.Equal(t, 1, s.Billed())
		})
	}
}

func TestTruncatedResponsesStreamThenRetrieve(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Reply{Content: "cut here", Truncate: true})
	c := newClient(s)
	ev := readEvents(c.Responses.NewStreaming(t.Context(), background(respParams("go"))), -1)
	require.NoError(t, ev.err, "openai-go ends a cut stream with a nil error")
	assert.Empty(t, ev.final, "no terminal event")
	assert.Equal(t, "cut here", ev.text)
	assert.Equal(t, 1, s.Billed(), "the generation completed and was billed")

	last := ev.seqs[len(ev.seqs)-1]
	rest := readEvents(c.Responses.GetStreaming(t.Context(), "resp_llmtest_1", responses.ResponseGetParams{StartingAfter: openai.Int(last)}), -1)
	require.NoError(t, rest.err)
	assert.Equal(t, []string{"response.completed"}, rest.types)
	assert.Equal(t, []int64{last + 1}, rest.seqs)
}

func TestDroppedResponsesStream(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Reply{Content: "a b", Drop: true})
	ev := readEvents(newClient(s).Responses.NewStreaming(t.Context(), respParams("go")), -1)
	require.Error(t, ev.err)
	assert.Equal(t, "a b", ev.text)
	assert.Equal(t, 1, s.Billed())
}

func TestScriptedRetrieve(t *testing.T) {
	s := llmtest.NewServer(t)
	c := newClient(s)
	res, err := c.Responses.New(t.Context(), background(respParams("one two three")))
	require.NoError(t, err)
	require.True(t, s.WaitSettled(waitFor))

	s.EnqueueOn(llmtest.EndpointRetrieve, llmtest.ServerError(503), llmtest.Reply{CutAfter: 3}, llmtest.Reply{Drop: true, CutAfter: 2})
	_, err = c.Responses.Get(t.Context(), res.ID, responses.ResponseGetParams{})
	var apiErr *openai.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 503, apiErr.StatusCode)

	first := readEvents(c.Responses.GetStreaming(t.Context(), res.ID, responses.ResponseGetParams{}), -1)
	require.NoError(t, first.err)
	assert.Equal(t, []int64{0, 1, 2}, first.seqs, "cut after 3 events")

	second := readEvents(c.Responses.GetStreaming(t.Context(), res.ID, responses.ResponseGetParams{StartingAfter: openai.Int(2)}), -1)
	require.Error(t, second.err, "dropped")
	assert.Equal(t, []int64{3, 4}, second.seqs)

	third := readEvents(c.Responses.GetStreaming(t.Context(), res.ID, responses.ResponseGetParams{StartingAfter: openai.Int(4)}), -1)
	require.NoError(t, third.err)
	assert.Equal(t, "response.completed", third.final)
	assert.True(t, consecutive(third.seqs, 5))
	assert.Equal(t, "echo: one two three", third.last.OutputText())
	assert.Zero(t, s.Pending())
	assert.Equal(t, 1, s.Billed())
}

func TestScriptedCancelError(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Hung())
	c := newClient(s)
	res, err := c.Responses.New(t.Context(), background(respParams("go")))
	require.NoError(t, err)
	s.EnqueueOn(llmtest.EndpointCancel, llmtest.ServerError(500))
	_, err = c.Responses.Cancel(t.Context(), res.ID)
	require.Error(t, err)
	got, err := c.Responses.Get(t.Context(), res.ID, responses.ResponseGetParams{})
	require.NoError(t, err)
	assert.Equal(t, responses.ResponseStatusQueued, got.Status, "a failed cancel cancels nothing")
	_, err = c.Responses.Cancel(t.Context(), res.ID)
	require.NoError(t, err)
}

func TestResponsesBadRequests(t *testing.T) {
	s := llmtest.NewServer(t)
	c := newClient(s)
	status := func(err error) (int, string) {
		var apiErr *openai.Error
		require.ErrorAs(t, err, &apiErr)
		return apiErr.StatusCode, apiErr.Message
	}

	_, err := c.Responses.Get(t.Context(), "resp_nope", responses.ResponseGetParams{})
	code, msg := status(err)
	assert.Equal(t, http.StatusNotFound, code)
	assert.Contains(t, msg, "resp_nope")
	_, err = c.Responses.Cancel(t.Context(), "resp_nope")
	code, _ = status(err)
	assert.Equal(t, http.StatusNotFound, code)

	fg, err := c.Responses.New(t.Context(), respParams("go"))
	require.NoError(t, err)
	_, err = c.Responses.Cancel(t.Context(), fg.ID)
	code, msg = status(err)
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, msg, "background")
	err = readEvents(c.Responses.GetStreaming(t.Context(), fg.ID, responses.ResponseGetParams{}), -1).err
	code, _ = status(err)
	assert.Equal(t, http.StatusBadRequest, code, "only background responses stream by id")

	_, err = c.Responses.New(t.Context(), responses.ResponseNewParams{Input: respParams("x").Input})
	code, msg = status(err)
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, msg, "model")

	p := background(respParams("x"))
	p.Store = openai.Bool(false)
	_, err = c.Responses.New(t.Context(), p)
	code, msg = status(err)
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, msg, "store")

	p = respParams("not stored")
	p.Store = openai.Bool(false)
	ns, err := c.Responses.New(t.Context(), p)
	require.NoError(t, err)
	_, err = c.Responses.Get(t.Context(), ns.ID, responses.ResponseGetParams{})
	code, _ = status(err)
	assert.Equal(t, http.StatusNotFound, code, "store=false is not retrievable")

	resp, err := http.Post(s.URL+"responses/"+fg.ID, "application/json", strings.NewReader("{}"))
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+"responses/"+fg.ID+"?starting_after=x", nil)
	require.NoError(t, err)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, 2, s.Billed(), "only the two good creates")
}

func TestListenServesResponses(t *testing.T) {
	h := llmtest.NewHandler()
	base, stop, err := llmtest.Listen("127.0.0.1:0", h)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, stop(context.Background())) })
	c := openai.NewClient(option.WithBaseURL(base), option.WithAPIKey("test"), option.WithMaxRetries(0))
	res, err := c.Responses.New(t.Context(), respParams("live"))
	require.NoError(t, err)
	assert.Equal(t, "echo: live", res.OutputText())
}

// A background create whose answer is lost leaves a generation the client
// cannot name: it still runs and is billed, and a retry buys another.
func TestLostBackgroundCreateStillBills(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Reply{Content: "paid for", Drop: true})
	c := newClient(s)
	_, err := c.Responses.New(t.Context(), background(respParams("go")))
	require.Error(t, err, "the create answer was cut")
	res, err := c.Responses.New(t.Context(), background(respParams("go")))
	require.NoError(t, err)
	require.True(t, s.WaitSettled(waitFor))
	assert.Equal(t, 2, s.Billed(), "the lost generation was billed too")
	first, ok := s.Call("resp_llmtest_1")
	require.True(t, ok)
	assert.Equal(t, llmtest.StatusCompleted, first.Status)
	assert.False(t, first.Delivered)
	assert.Equal(t, "resp_llmtest_2", res.ID)
}
