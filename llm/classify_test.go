package llm

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/llm/llmtest"
)

// TestClassification sends one request per case through the real openai-go
// client to the scripted server and checks the error the activity returns:
// its type, whether Temporal may retry it, the delay of the next attempt,
// and that the client itself never retried (exactly one request).
func TestClassification(t *testing.T) {
	withHeader := func(r llmtest.Reply, k, v string) llmtest.Reply {
		if r.Headers == nil {
			r.Headers = map[string]string{}
		}
		r.Headers[k] = v
		return r
	}
	apiErr := func(status int, code string) llmtest.Reply {
		return llmtest.Reply{Status: status, Error: &llmtest.APIError{Message: "refused: " + code, Type: "invalid_request_error", Code: code}}
	}
	cases := []struct {
		name      string
		reply     llmtest.Reply
		stream    bool
		wantType  string
		retryable bool
		delay     time.Duration
		check     func(t *testing.T, d ErrorDetails)
	}{
		{name: "429 retry-after seconds", reply: llmtest.RateLimited("retry-after", "2"),
			wantType: ErrTypeRateLimited, retryable: true, delay: 2 * time.Second},
		{name: "429 retry-after-ms", reply: llmtest.RateLimited("retry-after-ms", "1500"),
			wantType: ErrTypeRateLimited, retryable: true, delay: 1500 * time.Millisecond},
		{name: "429 reset-requests clamped", reply: llmtest.RateLimited("x-ratelimit-reset-requests", "6m0s"),
			wantType: ErrTypeRateLimited, retryable: true, delay: time.Minute},
		{name: "429 reset-tokens", reply: llmtest.RateLimited("x-ratelimit-reset-tokens", "20ms"),
			wantType: ErrTypeRateLimited, retryable: true, delay: 20 * time.Millisecond},
		{name: "429 reset fractional", reply: llmtest.RateLimited("x-ratelimit-reset-requests", "0m30.5s"),
			wantType: ErrTypeRateLimited, retryable: true, delay: 30500 * time.Millisecond},
		{name: "429 without delay", reply: llmtest.RateLimited("", ""),
			wantType: ErrTypeRateLimited, retryable: true},
		{name: "429 x-should-retry false", reply: withHeader(llmtest.RateLimited("retry-after", "2"), "x-should-retry", "false"),
			wantType: ErrTypeRateLimited},
		{name: "insufficient quota", reply: llmtest.InsufficientQuota(), wantType: ErrTypeInsufficientQuota},
		{name: "insufficient quota ignores retry-after", reply: withHeader(llmtest.InsufficientQuota(), "retry-after", "5"),
			wantType: ErrTypeInsufficientQuota},
		{name: "billing hard limit", reply: apiErr(http.StatusBadRequest, "billing_hard_limit_reached"), wantType: ErrTypeInsufficientQuota},
		{name: "billing not active", reply: apiErr(http.StatusTooManyRequests, "billing_not_active"), wantType: ErrTypeInsufficientQuota},
		{name: "context length", reply: llmtest.ContextLengthExceeded(), wantType: ErrTypeContextLengthExceeded,
			check: func(t *testing.T, d ErrorDetails) {
				assert.Equal(t, 8192, d.ContextLimit)
				assert.Equal(t, 9000, d.PromptTokens)
			}},
		{name: "content filter prompt", reply: llmtest.ContentFilter(), wantType: ErrTypeContentFilter},
		{name: "content filter answer", reply: llmtest.Reply{Content: "partial", FinishReason: "content_filter"}, wantType: ErrTypeContentFilter,
			check: func(t *testing.T, d ErrorDetails) {
				require.NotNil(t, d.Response, "the paid answer travels with the error")
				assert.Equal(t, "partial", d.Response.Text)
				assert.Positive(t, d.Response.CompletionTokens)
			}},
		{name: "401", reply: llmtest.Unauthorized(), wantType: ErrTypeAuth,
			check: func(t *testing.T, d ErrorDetails) { assert.Equal(t, http.StatusUnauthorized, d.Status) }},
		{name: "403", reply: llmtest.Forbidden(), wantType: ErrTypeAuth},
		{name: "404 model not found", reply: llmtest.ModelNotFound(), wantType: ErrTypeModelNotFound,
			check: func(t *testing.T, d ErrorDetails) { assert.Contains(t, d.Message, testModelID) }},
		{name: "400", reply: apiErr(http.StatusBadRequest, "invalid_value"), wantType: ErrTypeBadRequest},
		{name: "413", reply: apiErr(http.StatusRequestEntityTooLarge, ""), wantType: ErrTypeBadRequest},
		{name: "422", reply: apiErr(http.StatusUnprocessableEntity, ""), wantType: ErrTypeBadRequest},
		{name: "408", reply: llmtest.ServerError(http.StatusRequestTimeout), wantType: ErrTypeTimeout, retryable: true},
		{name: "409", reply: llmtest.ServerError(http.StatusConflict), wantType: ErrTypeConflict, retryable: true},
		{name: "500", reply: llmtest.ServerError(http.StatusInternalServerError), wantType: ErrTypeServerError, retryable: true},
		{name: "503 retry-after", reply: withHeader(llmtest.ServerError(http.StatusServiceUnavailable), "retry-after", "7"),
			wantType: ErrTypeServerError, retryable: true, delay: 7 * time.Second},
		{name: "500 x-should-retry false", reply: withHeader(llmtest.ServerError(http.StatusInternalServerError), "x-should-retry", "false"),
			wantType: ErrTypeServerError},
		{name: "undecodable 502 text", reply: llmtest.Undecodable(http.StatusBadGateway, "Bad Gateway"),
			wantType: ErrTypeServerError, retryable: true,
			check: func(t *testing.T, d ErrorDetails) { assert.Equal(t, "Bad Gateway", d.Message) }},
		{name: "undecodable 400 string error", reply: llmtest.Undecodable(http.StatusBadRequest, `{"error":"model is required"}`),
			wantType: ErrTypeBadRequest,
			check:    func(t *testing.T, d ErrorDetails) { assert.Equal(t, "model is required", d.Message) }},
		{name: "undecodable 429 with retry-after", reply: withHeader(llmtest.Undecodable(http.StatusTooManyRequests, `{"error":"slow down"}`), "retry-after", "3"),
			wantType: ErrTypeRateLimited, retryable: true, delay: 3 * time.Second},
		{name: "undecodable 404", reply: llmtest.Undecodable(http.StatusNotFound, `{"detail":"Not Found"}`), wantType: ErrTypeModelNotFound,
			check: func(t *testing.T, d ErrorDetails) { assert.Equal(t, "Not Found", d.Message) }},
		{name: "truncated body", reply: llmtest.Truncated("a long answer that stops"), wantType: ErrTypeTruncated, retryable: true},
		{name: "truncated stream", reply: llmtest.Truncated("a long answer that stops"), stream: true, wantType: ErrTypeTruncated, retryable: true},
		{name: "dropped stream", reply: llmtest.Reply{Content: "cut off here", Drop: true}, stream: true, wantType: ErrTypeTruncated, retryable: true},
		{name: "stream error event", reply: llmtest.Reply{Content: "some", StreamError: &llmtest.APIError{Message: "overloaded", Type: "server_error"}},
			stream: true, wantType: ErrTypeServerError, retryable: true},
		{name: "stream error event quota", reply: llmtest.Reply{Content: "some", StreamError: &llmtest.APIError{Message: "quota", Type: "insufficient_quota", Code: "insufficient_quota"}},
			stream: true, wantType: ErrTypeInsufficientQuota},
		{name: "stream 429", reply: llmtest.RateLimited("retry-after", "4"), stream: true,
			wantType: ErrTypeRateLimited, retryable: true, delay: 4 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := llmtest.NewServer(t)
			s.Enqueue(tc.reply)
			a := newActivities(t, serverConfig(s))
			req := ask("hello there")
			req.Stream = tc.stream
			_, err := runOnce(t, a, req)
			ae := appError(t, err)
			assert.Equal(t, tc.wantType, ae.Type(), "message: %s", ae.Error())
			assert.Equal(t, tc.retryable, IsRetryable(err), "retryable; message: %s", ae.Error())
			assert.Equal(t, !tc.retryable, ae.NonRetryable())
			assert.Equal(t, tc.delay, ae.NextRetryDelay())
			assert.Len(t, s.Requests(), 1, "the openai client must not retry by itself")
			assert.NotContains(t, ae.Error(), "sk-test-secret-key-123456", "never leak the key")
			d, ok := Details(err)
			require.True(t, ok, "details")
			assert.Equal(t, "main", d.ModelName)
			if tc.check != nil {
				tc.check(t, d)
			}
		})
	}
}

func TestClassificationWithoutServer(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		s := llmtest.NewServer(t)
		cfg := serverConfig(s)
		s.Close()
		_, err := runOnce(t, newActivities(t, cfg), ask("hi"))
		ae := appError(t, err)
		assert.Equal(t, ErrTypeNetwork, ae.Type())
		assert.True(t, IsRetryable(err))
	})
	t.Run("stalled stream", func(t *testing.T) {
		s := llmtest.NewServer(t)
		s.Enqueue(llmtest.Reply{Content: "started but", Stall: true})
		cfg := serverConfig(s)
		cfg.StreamIdleTimeout = 100 * time.Millisecond
		_, err := runOnce(t, newActivities(t, cfg), Request{Prompt: "hi", Stream: true})
		ae := appError(t, err)
		assert.Equal(t, ErrTypeTimeout, ae.Type())
		assert.Contains(t, ae.Error(), "stream idle")
		assert.True(t, IsRetryable(err))
	})
	t.Run("timeout", func(t *testing.T) {
		s := llmtest.NewServer(t)
		s.Enqueue(llmtest.Hung())
		a := newActivities(t, serverConfig(s))
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := a.Complete(ctx, ask("hi"))
		ae := appError(t, err)
		assert.Equal(t, ErrTypeTimeout, ae.Type())
		assert.True(t, IsRetryable(err))
	})
}

func TestClassifyHelpers(t *testing.T) {
	limit, requested := parseContextLimits("This model's maximum context length is 128000 tokens. However, you requested 130500 tokens (500 in the messages).")
	assert.Equal(t, 128000, limit)
	assert.Equal(t, 130500, requested)
	limit, requested = parseContextLimits("too long")
	assert.Zero(t, limit)
	assert.Zero(t, requested)

	assert.Equal(t, "key sk-*** and ***", redact("key sk-proj-abcdef123 and my-secret-value", "my-secret-value"))

	code, typ, msg := parseErrorBody([]byte(`{"error":{"code":429,"type":"tokens","message":"wait"}}`))
	assert.Equal(t, "429", code)
	assert.Equal(t, "tokens", typ)
	assert.Equal(t, "wait", msg)
	_, _, msg = parseErrorBody([]byte("upstream connect error"))
	assert.Equal(t, "upstream connect error", msg)
}

// TestBilledAndShouldRetry checks which failures may have been billed and
// that x-should-retry overrides the status both ways.
func TestBilledAndShouldRetry(t *testing.T) {
	cases := map[string]struct {
		reply     llmtest.Reply
		stream    bool
		class     string
		retryable bool
		billed    bool
	}{
		"429":                       {llmtest.RateLimited("retry-after", "1"), false, ErrTypeRateLimited, true, false},
		"500":                       {llmtest.ServerError(500), false, ErrTypeServerError, true, false},
		"cut stream":                {llmtest.Truncated("half"), true, ErrTypeTruncated, true, true},
		"dropped body":              {llmtest.Reply{Content: "a b c", Drop: true}, false, ErrTypeTruncated, true, true},
		"400 x-should-retry true":   {llmtest.Reply{Status: 400, Headers: map[string]string{"x-should-retry": "true"}}, false, ErrTypeRetryAdvised, true, false},
		"quota x-should-retry true": {withHeader(llmtest.InsufficientQuota(), "x-should-retry", "true"), false, ErrTypeRetryAdvised, true, false},
		"503 x-should-retry false":  {withHeader(llmtest.ServerError(503), "x-should-retry", "false"), false, ErrTypeServerError, false, false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := llmtest.NewServer(t)
			s.Enqueue(tc.reply)
			_, err := runOnce(t, newActivities(t, serverConfig(s)), Request{Prompt: "hi", Stream: tc.stream})
			ae := appError(t, err)
			assert.Equal(t, tc.class, ae.Type())
			assert.Equal(t, tc.retryable, IsRetryable(err), "%v", err)
			d, ok := Details(err)
			require.True(t, ok)
			assert.Equal(t, tc.billed, d.Billed)
		})
	}
}

func withHeader(r llmtest.Reply, k, v string) llmtest.Reply {
	h := map[string]string{k: v}
	for hk, hv := range r.Headers {
		h[hk] = hv
	}
	r.Headers = h
	return r
}
