package llmtest_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/ssestream"
	"github.com/openai/openai-go/v3/shared"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/llm/llmtest"
)

const waitFor = 5 * time.Second

func newClient(s *llmtest.Server) *openai.Client {
	c := openai.NewClient(s.ClientOptions()...)
	return &c
}

func params(user string) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model: "gpt-test",
		Messages: []openai.ChatCompletionMessageParamUnion{
			openai.SystemMessage("be brief"),
			openai.UserMessage(user),
		},
	}
}

// streamResult is what a test reads from a stream.
type streamResult struct {
	chunks       int
	content      string
	finishReason string
	usage        openai.CompletionUsage
	err          error
}

func readStream(st *ssestream.Stream[openai.ChatCompletionChunk]) streamResult {
	var r streamResult
	for st.Next() {
		c := st.Current()
		r.chunks++
		for _, ch := range c.Choices {
			r.content += ch.Delta.Content
			if ch.FinishReason != "" {
				r.finishReason = ch.FinishReason
			}
		}
		if c.JSON.Usage.Valid() {
			r.usage = c.Usage
		}
	}
	r.err = st.Err()
	return r
}

func TestDefaultEchoCompletion(t *testing.T) {
	s := llmtest.NewServer(t)
	c := newClient(s)

	p := params("hello there world")
	p.ResponseFormat = openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONObject: &shared.ResponseFormatJSONObjectParam{}}
	res, err := c.Chat.Completions.New(t.Context(), p)
	require.NoError(t, err)

	require.Len(t, res.Choices, 1)
	assert.Equal(t, "echo: hello there world", res.Choices[0].Message.Content)
	assert.Equal(t, "stop", res.Choices[0].FinishReason)
	assert.Equal(t, "gpt-test", res.Model)
	assert.Equal(t, "chatcmpl-llmtest-1", res.ID)
	assert.NotZero(t, res.Created)
	assert.Equal(t, int64(5), res.Usage.PromptTokens, "2 system words + 3 user words")
	assert.Equal(t, int64(4), res.Usage.CompletionTokens)
	assert.Equal(t, int64(9), res.Usage.TotalTokens)

	reqs := s.Requests()
	require.Len(t, reqs, 1)
	r := reqs[0]
	assert.Equal(t, "gpt-test", r.Model)
	assert.Equal(t, []llmtest.Message{{Role: "system", Content: "be brief"}, {Role: "user", Content: "hello there world"}}, r.Messages)
	assert.Equal(t, "hello there world", r.LastUser())
	assert.False(t, r.Stream)
	assert.JSONEq(t, `{"type":"json_object"}`, string(r.ResponseFormat))
	assert.Equal(t, "Bearer test", r.Header.Get("Authorization"))
	assert.Equal(t, http.StatusOK, r.Status)
	assert.True(t, r.Billed)
	assert.Equal(t, 5, r.PromptTokens)
	assert.Equal(t, 4, r.CompletionTokens)
	assert.Equal(t, 1, s.Billed())
}

func TestScriptIsFIFOThenDefault(t *testing.T) {
	s := llmtest.NewServer(t)
	c := newClient(s)
	s.Enqueue(
		llmtest.Reply{Content: "first", Model: "gpt-other", PromptTokens: 100, CompletionTokens: 7, FinishReason: "length"},
		llmtest.Text("second"),
	)
	assert.Equal(t, 2, s.Pending())

	var got []string
	for _, q := range []string{"a", "b", "c"} {
		res, err := c.Chat.Completions.New(t.Context(), params(q))
		require.NoError(t, err)
		got = append(got, res.Choices[0].Message.Content)
		if q == "a" {
			assert.Equal(t, "gpt-other", res.Model)
			assert.Equal(t, "length", res.Choices[0].FinishReason)
			assert.Equal(t, int64(100), res.Usage.PromptTokens)
			assert.Equal(t, int64(7), res.Usage.CompletionTokens)
		}
	}
	assert.Equal(t, []string{"first", "second", "echo: c"}, got)
	assert.Zero(t, s.Pending())
	assert.Equal(t, 3, s.Billed())
}

func TestContentFilterFinishReason(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Reply{Content: "partial", FinishReason: "content_filter"})
	res, err := newClient(s).Chat.Completions.New(t.Context(), params("x"))
	require.NoError(t, err)
	assert.Equal(t, "content_filter", res.Choices[0].FinishReason)
	assert.Equal(t, 1, s.Billed())
}

func TestNoContent(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Reply{NoContent: true})
	res, err := newClient(s).Chat.Completions.New(t.Context(), params("x"))
	require.NoError(t, err)
	assert.Empty(t, res.Choices[0].Message.Content)
	assert.Zero(t, res.Usage.CompletionTokens)
}

func TestSetDefault(t *testing.T) {
	s := llmtest.NewServer(t)
	s.SetDefault(func(r llmtest.Request) llmtest.Reply {
		return llmtest.Text(strings.ToUpper(r.LastUser()))
	})
	res, err := newClient(s).Chat.Completions.New(t.Context(), params("shout"))
	require.NoError(t, err)
	assert.Equal(t, "SHOUT", res.Choices[0].Message.Content)

	s.SetDefault(nil)
	res, err = newClient(s).Chat.Completions.New(t.Context(), params("calm"))
	require.NoError(t, err)
	assert.Equal(t, "echo: calm", res.Choices[0].Message.Content)
}

func TestStreamingWithUsage(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Text("one two three four"))
	p := params("go")
	p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}

	st := newClient(s).Chat.Completions.NewStreaming(t.Context(), p)
	var acc openai.ChatCompletionAccumulator
	var chunks int
	for st.Next() {
		chunks++
		require.True(t, acc.AddChunk(st.Current()), "the accumulator must accept every chunk")
	}
	require.NoError(t, st.Err())

	// Role chunk, 4 word chunks, finish chunk, usage chunk.
	assert.Equal(t, 7, chunks)
	require.Len(t, acc.Choices, 1)
	assert.Equal(t, "one two three four", acc.Choices[0].Message.Content)
	assert.Equal(t, "stop", acc.Choices[0].FinishReason)
	assert.Equal(t, int64(3), acc.Usage.PromptTokens)
	assert.Equal(t, int64(4), acc.Usage.CompletionTokens)
	assert.Equal(t, int64(7), acc.Usage.TotalTokens)

	r := s.Requests()[0]
	assert.True(t, r.Stream)
	assert.True(t, r.IncludeUsage)
	assert.Equal(t, 1, s.Billed())
}

func TestStreamingChunksWithoutUsage(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Reply{Content: "abcdefghij", Chunks: 3, ChunkDelay: time.Millisecond})
	res := readStream(newClient(s).Chat.Completions.NewStreaming(t.Context(), params("go")))
	require.NoError(t, res.err)
	assert.Equal(t, 5, res.chunks, "role chunk, 3 content chunks, finish chunk")
	assert.Equal(t, "abcdefghij", res.content)
	assert.Equal(t, "stop", res.finishReason)
	assert.False(t, res.usage.JSON.TotalTokens.Valid(), "no usage chunk without include_usage")
}

func TestTruncatedStreamEndsWithNilErrorAndNoFinishReason(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Truncated("half an ans"))
	p := params("go")
	p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}

	res := readStream(newClient(s).Chat.Completions.NewStreaming(t.Context(), p))
	require.NoError(t, res.err, "openai-go reports a stream cut before [DONE] as a clean end")
	assert.Equal(t, "half an ans", res.content)
	assert.Empty(t, res.finishReason)
	assert.False(t, res.usage.JSON.TotalTokens.Valid())
	assert.Equal(t, 1, s.Billed(), "a truncated generation is still paid for")
}

func TestTruncatedNonStreamingFailsToDecode(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Truncated("some text"))
	_, err := newClient(s).Chat.Completions.New(t.Context(), params("go"))
	require.Error(t, err)
	var apiErr *openai.Error
	require.NotErrorAs(t, err, &apiErr)
	assert.Equal(t, 1, s.Billed())
}

func TestDropCutsTheConnection(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Reply{Content: "a b", Drop: true}, llmtest.Reply{Drop: true})

	res := readStream(newClient(s).Chat.Completions.NewStreaming(t.Context(), params("go")))
	require.Error(t, res.err)
	assert.Equal(t, "a b", res.content)

	_, err := newClient(s).Chat.Completions.New(t.Context(), params("go"))
	require.Error(t, err)
	assert.Equal(t, 2, s.Billed())
}

func TestStreamErrorEvent(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Reply{Content: "a b", StreamError: &llmtest.APIError{Message: "overloaded", Type: "server_error"}})
	res := readStream(newClient(s).Chat.Completions.NewStreaming(t.Context(), params("go")))
	var se *ssestream.StreamError
	require.ErrorAs(t, res.err, &se)
	assert.Contains(t, se.Message, "overloaded")
	assert.Equal(t, "a b", res.content)
}

func TestStallHoldsTheStreamUntilCancel(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Reply{Content: "a b", Stall: true})
	ctx, cancel := context.WithCancel(t.Context())
	st := newClient(s).Chat.Completions.NewStreaming(ctx, params("go"))
	var content string
	for range 3 { // role chunk and two words
		require.True(t, st.Next(), "expected a chunk before the stall")
		content += st.Current().Choices[0].Delta.Content
	}
	assert.Equal(t, "a b", content)
	cancel()
	assert.False(t, st.Next())
	require.ErrorIs(t, st.Err(), context.Canceled)
	assert.Equal(t, 1, s.Billed())
}

func TestErrorReplies(t *testing.T) {
	tests := []struct {
		name     string
		reply    llmtest.Reply
		status   int
		code     string
		typ      string
		header   string
		value    string
		contains string
	}{
		{"retry-after", llmtest.RateLimited("retry-after", "2"), 429, "rate_limit_exceeded", "requests", "Retry-After", "2", "gpt-test"},
		{"retry-after-ms", llmtest.RateLimited("retry-after-ms", "1500"), 429, "rate_limit_exceeded", "requests", "Retry-After-Ms", "1500", ""},
		{"reset-requests", llmtest.RateLimited("x-ratelimit-reset-requests", "6m0s"), 429, "rate_limit_exceeded", "requests", "X-Ratelimit-Reset-Requests", "6m0s", ""},
		{"reset-tokens", llmtest.RateLimited("x-ratelimit-reset-tokens", "20ms"), 429, "rate_limit_exceeded", "requests", "X-Ratelimit-Reset-Tokens", "20ms", ""},
		{"insufficient quota", llmtest.InsufficientQuota(), 429, "insufficient_quota", "insufficient_quota", "", "", "quota"},
		{"context length", llmtest.ContextLengthExceeded(), 400, "context_length_exceeded", "invalid_request_error", "", "", "maximum context length is 8192 tokens"},
		{"content filter", llmtest.ContentFilter(), 400, "content_filter", "invalid_request_error", "", "", "filtered"},
		{"server error", llmtest.ServerError(503), 503, "", "server_error", "", "", "server had an error"},
		{"unauthorized", llmtest.Unauthorized(), 401, "invalid_api_key", "invalid_request_error", "", "", "API key"},
		{"forbidden", llmtest.Forbidden(), 403, "unsupported_country_region_territory", "request_forbidden", "", "", "not supported"},
		{"model not found", llmtest.ModelNotFound(), 404, "model_not_found", "invalid_request_error", "", "", "`gpt-test` does not exist"},
		{"generic", llmtest.Reply{Status: 502}, 502, "", "server_error", "", "", "Bad Gateway"},
		{"custom header", llmtest.Reply{Status: 500, Headers: map[string]string{"x-should-retry": "false"}}, 500, "", "server_error", "X-Should-Retry", "false", ""},
	}
	for _, tt := range tests {
		for _, stream := range []bool{false, true} {
			name := tt.name
			if stream {
				name += "/stream"
			}
			t.Run(name, func(t *testing.T) {
				s := llmtest.NewServer(t)
				s.Enqueue(tt.reply)
				c := newClient(s)
				var err error
				if stream {
					err = readStream(c.Chat.Completions.NewStreaming(t.Context(), params("go"))).err
				} else {
					_, err = c.Chat.Completions.New(t.Context(), params("go"))
				}
				var apiErr *openai.Error
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, tt.status, apiErr.StatusCode)
				assert.Equal(t, tt.code, apiErr.Code)
				assert.Equal(t, tt.typ, apiErr.Type)
				assert.Contains(t, apiErr.Message, tt.contains)
				require.NotNil(t, apiErr.Response)
				if tt.header != "" {
					assert.Equal(t, tt.value, apiErr.Response.Header.Get(tt.header))
				}
				assert.Equal(t, "req_llmtest_1", apiErr.Response.Header.Get("x-request-id"))
				assert.Zero(t, s.Billed(), "errors are not billed")
				assert.Equal(t, tt.status, s.Requests()[0].Status)
			})
		}
	}
}

func TestUndecodableErrorBodies(t *testing.T) {
	t.Run("error as a string gives no *openai.Error", func(t *testing.T) {
		s := llmtest.NewServer(t)
		s.Enqueue(llmtest.Undecodable(400, `{"error":"bad things"}`))
		var resp *http.Response
		_, err := newClient(s).Chat.Completions.New(t.Context(), params("go"), option.WithResponseInto(&resp))
		require.Error(t, err)
		var apiErr *openai.Error
		require.NotErrorAs(t, err, &apiErr)
		require.NotNil(t, resp, "WithResponseInto still exposes the response")
		assert.Equal(t, 400, resp.StatusCode)
		assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	})
	t.Run("plain text gives an *openai.Error without code", func(t *testing.T) {
		s := llmtest.NewServer(t)
		s.Enqueue(llmtest.Undecodable(502, "Bad Gateway"))
		var resp *http.Response
		_, err := newClient(s).Chat.Completions.New(t.Context(), params("go"), option.WithResponseInto(&resp))
		var apiErr *openai.Error
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, 502, apiErr.StatusCode)
		assert.Empty(t, apiErr.Code)
		assert.Empty(t, apiErr.Message)
		require.NotNil(t, resp)
		assert.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))
	})
}

func TestSlowAnswersAfterDelay(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Slow(20 * time.Millisecond))
	res, err := newClient(s).Chat.Completions.New(t.Context(), params("late"))
	require.NoError(t, err)
	assert.Equal(t, "echo: late", res.Choices[0].Message.Content)
	assert.Equal(t, 1, s.Billed())
}

func TestSlowWithContextDeadline(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Slow(time.Minute))
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := newClient(s).Chat.Completions.New(ctx, params("go"))
	require.ErrorIs(t, err, context.DeadlineExceeded)

	require.True(t, s.WaitHandled(1, waitFor), "the server must notice the client left")
	assert.Equal(t, llmtest.StatusClientClosedRequest, s.Requests()[0].Status)
	assert.Zero(t, s.Billed())
}

func TestHungUntilCancel(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Hung())
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		_, err := newClient(s).Chat.Completions.New(ctx, params("go"))
		errc <- err
	}()
	require.True(t, s.WaitRequests(1, waitFor), "the request must arrive")
	cancel()
	require.ErrorIs(t, <-errc, context.Canceled)
	require.True(t, s.WaitHandled(1, waitFor))
	assert.Equal(t, llmtest.StatusClientClosedRequest, s.Requests()[0].Status)
	assert.Zero(t, s.Billed())
}

func TestCloseReleasesHungRequests(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Hung())
	errc := make(chan error, 1)
	go func() {
		_, err := newClient(s).Chat.Completions.New(context.Background(), params("go"))
		errc <- err
	}()
	require.True(t, s.WaitRequests(1, waitFor))
	s.Close()
	require.Error(t, <-errc)
	assert.Zero(t, s.Requests()[0].Status, "never answered")
	assert.Zero(t, s.Billed())
}

func TestBadRequests(t *testing.T) {
	s := llmtest.NewServer(t)
	resp, err := http.Get(s.URL + "models")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	resp, err = http.Post(s.URL+"chat/completions", "application/json", strings.NewReader("{not json"))
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+"chat/completions", nil)
	require.NoError(t, err)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)

	assert.Len(t, s.Requests(), 3)
	assert.Zero(t, s.Billed())
}

func TestConcurrentRequestsAreAllCounted(t *testing.T) {
	s := llmtest.NewServer(t)
	const n = 20
	for i := range n {
		if i%2 == 0 {
			s.Enqueue(llmtest.ServerError(500))
		} else {
			s.Enqueue(llmtest.Text("ok"))
		}
	}
	c := newClient(s)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { _, _ = c.Chat.Completions.New(t.Context(), params("go")) })
	}
	wg.Wait()
	assert.Len(t, s.Requests(), n)
	assert.Equal(t, n/2, s.Billed())
	assert.Zero(t, s.Pending())
}

func TestListen(t *testing.T) {
	h := llmtest.NewHandler()
	base, stop, err := llmtest.Listen("127.0.0.1:0", h)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, stop(context.Background())) })
	require.True(t, strings.HasSuffix(base, "/v1/"))

	c := openai.NewClient(option.WithBaseURL(base), option.WithAPIKey("test"), option.WithMaxRetries(0))
	res, err := c.Chat.Completions.New(t.Context(), params("live"))
	require.NoError(t, err)
	assert.Equal(t, "echo: live", res.Choices[0].Message.Content)
	assert.Equal(t, 1, h.Billed())

	_, _, err = llmtest.Listen("256.0.0.1:0", h)
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "llmtest: listen"))
	var opErr interface{ Timeout() bool }
	require.ErrorAs(t, err, &opErr, "the net error stays wrapped")
}

func TestZeroHandlerIsUsable(t *testing.T) {
	var h llmtest.Handler
	assert.False(t, h.WaitRequests(1, time.Millisecond))
	h.Close()
	h.Close()
	assert.Empty(t, h.Requests())
}
