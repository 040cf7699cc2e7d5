package llmtest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"github.com/openai/openai-go/v3/shared"

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

// A background response is created at once, generated on the server and
// billed once when it completes, whether or not anyone is connected; it is
// fetched by id afterwards.
func ExampleHandler_background() {
	h := llmtest.NewHandler()
	ts := httptest.NewServer(h)
	defer ts.Close()
	defer h.Close()
	h.Enqueue(llmtest.Text("A long essay."))

	client := openai.NewClient(option.WithBaseURL(ts.URL+"/v1/"), option.WithAPIKey("test"), option.WithMaxRetries(0))
	ctx := context.Background()
	created, err := client.Responses.New(ctx, responses.ResponseNewParams{
		Model:      "gpt-test",
		Input:      responses.ResponseNewParamsInputUnion{OfString: openai.String("Write an essay.")},
		Background: openai.Bool(true),
	})
	if err != nil {
		fmt.Println("unexpected:", err)
		return
	}
	fmt.Println(created.ID, created.Status)

	h.WaitSettled(5 * time.Second) // the generation ends on the server
	got, err := client.Responses.Get(ctx, created.ID, responses.ResponseGetParams{})
	if err != nil {
		fmt.Println("unexpected:", err)
		return
	}
	fmt.Println(got.Status, got.OutputText(), got.Usage.OutputTokens)
	st := h.Stats()
	fmt.Println("calls:", st.Calls, "billed:", st.Billed, "abandoned:", st.Abandoned)
	// Output:
	// resp_llmtest_1 queued
	// completed A long essay. 3
	// calls: 1 billed: 1 abandoned: 0
}

// Scripted tool calls come back as message.tool_calls; the tool results
// the client sends next are recorded for assertions.
func ExampleToolCalls() {
	h := llmtest.NewHandler()
	ts := httptest.NewServer(h)
	defer ts.Close()
	h.Enqueue(
		llmtest.ToolCalls(llmtest.ToolCall{Name: "get_weather", Arguments: `{"city":"Paris"}`}),
		llmtest.Text("Sunny."),
	)

	client := openai.NewClient(option.WithBaseURL(ts.URL+"/v1/"), option.WithAPIKey("test"), option.WithMaxRetries(0))
	ctx := context.Background()
	params := openai.ChatCompletionNewParams{
		Model:    "gpt-test",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Weather in Paris?")},
		Tools: []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
			Name: "get_weather", Parameters: shared.FunctionParameters{"type": "object"},
		})},
	}
	res, err := client.Chat.Completions.New(ctx, params)
	if err != nil {
		fmt.Println("unexpected:", err)
		return
	}
	call := res.Choices[0].Message.ToolCalls[0]
	fmt.Println(res.Choices[0].FinishReason, call.ID, call.Function.Name, call.Function.Arguments)

	params.Messages = append(params.Messages, res.Choices[0].Message.ToParam(), openai.ToolMessage("21°C, sunny", call.ID))
	res, err = client.Chat.Completions.New(ctx, params)
	if err != nil {
		fmt.Println("unexpected:", err)
		return
	}
	out, _ := h.Requests()[1].ToolResult(call.ID)
	fmt.Println(res.Choices[0].Message.Content, "| tool result sent:", out)
	// Output:
	// tool_calls call_llmtest_1_1 get_weather {"city":"Paris"}
	// Sunny. | tool result sent: 21°C, sunny
}
