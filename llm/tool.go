package llm

import (
	"encoding/json"
	"fmt"
	"reflect"
)

// RoleTool is the role of a message that answers a tool call (see
// [ToolResult]).
const RoleTool = "tool"

// Tool choice values for [Request.ToolChoice]. The empty string leaves the
// choice to the provider; any other value names the one tool the model must
// call.
const (
	// ToolChoiceAuto lets the model answer or call tools.
	ToolChoiceAuto = "auto"
	// ToolChoiceNone forbids tool calls.
	ToolChoiceNone = "none"
	// ToolChoiceRequired makes the model call at least one tool.
	ToolChoiceRequired = "required"
)

// Tool is a function the model may call. It is sent as a function tool on
// both APIs (chat completions "tools", Responses "tools").
type Tool struct {
	// Name is the function name the model calls (a-z, A-Z, 0-9, _ and -,
	// at most 64).
	Name string
	// Description tells the model when and how to call the tool.
	Description string `json:",omitempty"`
	// Parameters is the JSON schema of the arguments, an object schema.
	// Empty means a function without arguments.
	Parameters json.RawMessage `json:",omitempty"`
	// Strict asks the provider for strict schema adherence of the
	// arguments (every property required, no additional properties).
	Strict bool `json:",omitempty"`
}

// ToolFor returns a Tool whose Parameters are the JSON schema of In, from
// the same generator [CompleteJSON] uses. In must be a struct (the arguments
// are a JSON object). It is a pure function of In and may run in workflow
// code.
func ToolFor[In any](name, description string) (Tool, error) {
	if err := checkToolName(name); err != nil {
		return Tool{}, fmt.Errorf("llm: %w", err)
	}
	t := reflect.TypeFor[In]()
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return Tool{}, fmt.Errorf("llm: tool %q: arguments type %s is not a struct; tool arguments are a JSON object, so use a struct", name, reflect.TypeFor[In]())
	}
	schema, _, err := schemaOf[In]()
	if err != nil {
		return Tool{}, fmt.Errorf("llm: tool %q: no JSON schema for %s: %w; use a struct of JSON-encodable fields", name, reflect.TypeFor[In](), err)
	}
	return Tool{Name: name, Description: description, Parameters: schema}, nil
}

// ToolCall is one call the model asked for, in [Response.ToolCalls] and in
// an assistant [Message.ToolCalls] sent back with the conversation.
type ToolCall struct {
	// ID identifies the call: the chat completions tool_call id or the
	// Responses API call_id. [ToolResult] answers it.
	ID string
	// Name is the tool's name.
	Name string
	// Arguments is the JSON text of the arguments as the model wrote it;
	// it is not validated.
	Arguments string
}

// ToolResult returns the tool message that answers the call with id callID;
// content is the tool's output (text or JSON).
func ToolResult(callID, content string) Message {
	return Message{Role: RoleTool, Content: content, ToolCallID: callID}
}

// checkToolName reports a name OpenAI would refuse.
func checkToolName(name string) error {
	if name == "" || len(name) > 64 || reNotSchemaName.MatchString(name) {
		return fmt.Errorf("tool name %q: use 1 to 64 of a-z, A-Z, 0-9, _ and -", name)
	}
	return nil
}

// emptyParameters is the schema of a tool without arguments.
var emptyParameters = map[string]any{"type": "object", "properties": map[string]any{}}

// toolParameters decodes t.Parameters (checked by checkTools) for the
// provider; no parameters is an object without properties.
func toolParameters(t Tool) map[string]any {
	if len(t.Parameters) == 0 {
		return emptyParameters
	}
	var m map[string]any
	if json.Unmarshal(t.Parameters, &m) != nil || m == nil {
		return emptyParameters
	}
	return m
}

// checkTools reports a tool, tool choice or tool message the provider
// would refuse, before anything is sent.
func checkTools(req Request) error {
	names := make(map[string]bool, len(req.Tools))
	for i, t := range req.Tools {
		if err := checkToolName(t.Name); err != nil {
			return invalidRequest("llm: Request.Tools[%d]: %v", i, err)
		}
		if names[t.Name] {
			return invalidRequest("llm: Request.Tools[%d]: tool %q is listed twice; give every tool its own name", i, t.Name)
		}
		names[t.Name] = true
		if len(t.Parameters) > 0 {
			var m map[string]any
			if err := json.Unmarshal(t.Parameters, &m); err != nil || m == nil {
				return invalidRequest("llm: Request.Tools[%d] (%q): Parameters is not a JSON object schema; build the tool with llm.ToolFor", i, t.Name)
			}
		}
	}
	switch req.ToolChoice {
	case "", ToolChoiceAuto, ToolChoiceNone:
	case ToolChoiceRequired:
		if len(req.Tools) == 0 {
			return invalidRequest("llm: Request.ToolChoice is %q but Request.Tools is empty; add the tools or clear ToolChoice", req.ToolChoice)
		}
	default:
		if !names[req.ToolChoice] {
			return invalidRequest("llm: Request.ToolChoice names %q, which is not in Request.Tools; use a tool's name, auto, none or required", req.ToolChoice)
		}
	}
	return nil
}
