package llm_test

import (
	"encoding/json"
	"fmt"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/llm"
)

// WeatherArgs are the arguments of the get_weather tool.
type WeatherArgs struct {
	City string `json:"city" jsonschema:"the city name"`
}

// WeatherWorkflow offers a tool, runs the calls the model asks for and
// sends their results back until the model answers. (A tool with side
// effects would run as an activity; package agent does this for you.)
func WeatherWorkflow(ctx workflow.Context, question string) (string, error) {
	tool, err := llm.ToolFor[WeatherArgs]("get_weather", "The current weather of a city")
	if err != nil {
		return "", err
	}
	msgs := []llm.Message{llm.User(question)}
	for range 5 {
		resp, err := llm.Complete(ctx, llm.Request{Messages: msgs, Tools: []llm.Tool{tool}, Summary: "weather"})
		if err != nil {
			return "", err
		}
		if len(resp.ToolCalls) == 0 {
			return resp.Text, nil
		}
		msgs = append(msgs, llm.Message{Role: llm.RoleAssistant, Content: resp.Text, ToolCalls: resp.ToolCalls})
		for _, call := range resp.ToolCalls {
			var args WeatherArgs
			// Decoding recorded arguments is deterministic; workflowcheck flags
			// any reflection-based decoding.
			err := json.Unmarshal([]byte(call.Arguments), &args) //workflowcheck:ignore
			if err != nil {
				msgs = append(msgs, llm.ToolResult(call.ID, `{"error": "arguments are not valid JSON"}`))
				continue
			}
			msgs = append(msgs, llm.ToolResult(call.ID, `{"city": "`+args.City+`", "sky": "clear"}`))
		}
	}
	return "", fmt.Errorf("weather: no answer after 5 turns")
}

func ExampleToolFor() {
	tool, err := llm.ToolFor[WeatherArgs]("get_weather", "The current weather of a city")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tool.Name)
	fmt.Println(string(tool.Parameters))
	// Output:
	// get_weather
	// {"type":"object","properties":{"city":{"type":"string","description":"the city name"}},"required":["city"],"additionalProperties":false}
}

func ExampleToolResult() {
	var text string
	if err := run(WeatherWorkflow, "Call get_weather for Paris, please.", &text); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.SplitN(text, "\n", 2)[0])
	fmt.Println("used the tool's result:", strings.Contains(text, `"sky": "clear"`))
	// Output:
	// [offline model] No provider was called: this answer is generated locally from the tool results.
	// used the tool's result: true
}

// Models declare their API: background Responses where the server has
// it (a crash mid-generation then costs nothing more), chat completions on
// local servers.
func ExampleModel_aPI() {
	cfg := llm.Config{
		Models: map[string]llm.Model{
			"hosted": {ID: "gpt-4o-mini", BaseURL: llm.DefaultBaseURL, APIKey: "sk-from-a-secret-store"}, // background Responses
			"local":  {ID: "llama3.2", BaseURL: "http://localhost:11434/v1/"},
			"vllm":   {ID: "qwen2.5", BaseURL: "http://localhost:8000/v1/", API: llm.APIResponses},
		},
		DefaultModel: "hosted",
	}
	fmt.Println(cfg.Describe())
	// Output:
	// llm: model "hosted": gpt-4o-mini at https://api.openai.com/v1/ (API key from Config); Responses API, background: a retry resumes the generation
	// llm: model "local": llama3.2 at http://localhost:11434/v1/ (no API key); chat completions: a crash mid-call buys the generation again
	// llm: model "vllm": qwen2.5 at http://localhost:8000/v1/ (no API key); Responses API: a crash mid-call buys the generation again
}
