package llm

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
)

// The benchmarks measure the worker-side overhead this package adds to a
// call (classification, request building, schema checks), which must stay
// negligible next to a provider round trip. Run: go test -bench . -run ^$ ./llm/

func BenchmarkClassify(b *testing.B) {
	h := http.Header{}
	h.Set("retry-after", "2")
	h.Set("x-request-id", "req_1")
	res := &http.Response{StatusCode: 429, Header: h}
	cases := map[string]error{
		"rate limit": &openai.Error{StatusCode: 429, Code: "rate_limit_exceeded", Type: "requests",
			Message: "Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3, Used 3, Requested 1.", Response: res},
		"context length": &openai.Error{StatusCode: 400, Code: "context_length_exceeded", Type: "invalid_request_error",
			Message: "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.", Response: res},
	}
	at := attemptInfo{modelName: "main", model: "gpt-4o-mini", maxDelay: time.Minute, secret: "sk-secret-key-000000", now: time.Now()}
	for name, err := range cases {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = classify(err, nil, at)
			}
		})
	}
}

func BenchmarkRetryDelay(b *testing.B) {
	h := http.Header{}
	h.Set("x-ratelimit-reset-requests", "1m30.5s")
	h.Set("x-ratelimit-reset-tokens", "20ms")
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		_, _ = retryDelay(h, "", now)
	}
}

func BenchmarkBuildParams(b *testing.B) {
	schema, _, err := schemaOf[plan]()
	if err != nil {
		b.Fatal(err)
	}
	req := Request{
		System:    "You are a careful analyst.",
		Messages:  []Message{User(strings.Repeat("context ", 500)), Assistant("ok"), User("now the plan")},
		MaxTokens: 800,
		Schema:    schema,
	}
	ep := &endpoint{name: "main", id: "gpt-4o-mini"}
	b.ReportAllocs()
	for b.Loop() {
		p, err := buildParams(req, ep)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSchemaCheck(b *testing.B) {
	schema, _, err := schemaOf[plan]()
	if err != nil {
		b.Fatal(err)
	}
	cs, err := compileSchema(schema)
	if err != nil {
		b.Fatal(err)
	}
	answer := "```json\n{\"title\": \"A plan\", \"steps\": [\"one\", \"two\", \"three\"]}\n```"
	b.ReportAllocs()
	for b.Loop() {
		if _, problem := cs.check(answer); problem != "" {
			b.Fatal(problem)
		}
	}
}
