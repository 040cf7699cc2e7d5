package llmtest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/durable-llm/durable-llm/llm/llmtest"
)

// Outside a test, run a Handler on any listener: here httptest.NewServer;
// [llmtest.Listen] does the same on a real address. Tests use
// [llmtest.NewServer] instead.
func ExampleNewHandler() {
	h := llmtest.NewHandler()
	ts := httptest.NewServer(h)
	defer ts.Close()
	defer h.Close()

	// The first call is rate limited, the second succeeds.
	h.Enqueue(llmtest.RateLimited("retry-after", "2"), llmtest.Text("Paris."))

	client := openai.NewClient(
		option.WithBaseURL(ts.URL+"/v1/"),
		option.WithAPIKey("test"),
		option.WithMaxRetries(0), // Temporal owns retries, not the client.
	)
	params := openai.ChatCompletionNewParams{
		Model:    "gpt-test",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Capital of France?")},
	}
	ctx := context.Background()

	_, err := client.Chat.Completions.New(ctx, params)
	var apiErr *openai.Error
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code, "retry-after:", apiErr.Response.Header.Get("retry-after"))
	}

	res, err := client.Chat.Completions.New(ctx, params)
	if err != nil {
		fmt.Println("unexpected:", err)
		return
	}
	fmt.Println(res.Choices[0].Message.Content, res.Choices[0].FinishReason)
	fmt.Println("requests:", len(h.Requests()), "billed:", h.Billed())
	// Output:
	// 429 rate_limit_exceeded retry-after: 2
	// Paris. stop
	// requests: 2 billed: 1
}

// With an empty script every request gets the deterministic echo reply; a
// streamed answer comes one word per chunk.
func ExampleHandler_echo() {
	h := llmtest.NewHandler()
	ts := httptest.NewServer(h)
	defer ts.Close()

	client := openai.NewClient(option.WithBaseURL(ts.URL+"/v1/"), option.WithAPIKey("test"), option.WithMaxRetries(0))
	stream := client.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
		Model:         "gpt-test",
		Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hello world")},
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	})
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		fmt.Println("unexpected:", err)
		return
	}
	fmt.Printf("%q %s\n", acc.Choices[0].Message.Content, acc.Choices[0].FinishReason)
	fmt.Println("tokens:", acc.Usage.PromptTokens, acc.Usage.CompletionTokens)
	// Output:
	// "echo: hello world" stop
	// tokens: 2 3
}

// A truncated stream ends without a finish reason and without an error: the
// caller must notice the missing finish reason itself.
func ExampleTruncated() {
	h := llmtest.NewHandler()
	ts := httptest.NewServer(h)
	defer ts.Close()
	h.Enqueue(llmtest.Truncated("The answer is"))

	client := openai.NewClient(option.WithBaseURL(ts.URL+"/v1/"), option.WithAPIKey("test"), option.WithMaxRetries(0))
	stream := client.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
		Model:    "gpt-test",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("?")},
	})
	var content, finish string
	for stream.Next() {
		for _, c := range stream.Current().Choices {
			content += c.Delta.Content
			finish += c.FinishReason
		}
	}
	fmt.Printf("content=%q finish=%q err=%v billed=%d\n", content, finish, stream.Err(), h.Billed())
	// Output:
	// content="The answer is" finish="" err=<nil> billed=1
}
