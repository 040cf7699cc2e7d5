package mcptool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/durable-llm/durable-llm/agent"
	"github.com/durable-llm/durable-llm/llm"
)

// Options configures [Tools].
type Options struct {
	// Prefix is put before every tool's name ("crm_" makes search
	// "crm_search"), to keep the names of several servers apart. The MCP
	// server is still called with its own name.
	Prefix string
	// Include keeps only these tools (by their MCP name); empty keeps all.
	Include []string
	// Policies overrides the policy [PolicyOf] chooses, by MCP tool name.
	Policies map[string]agent.Policy
}

// Tools lists the tools of the MCP server behind session and returns them
// as agent tools: each call of one is an activity that calls the server
// with session.CallTool. The policy comes from the tool's annotations
// ([PolicyOf]) unless opts.Policies overrides it. It runs on the worker,
// once at start; the session must stay open while the worker runs.
func Tools(ctx context.Context, session *mcp.ClientSession, opts Options) ([]agent.Tool, error) {
	if session == nil {
		return nil, errors.New("mcptool: Tools needs an open *mcp.ClientSession")
	}
	var out []agent.Tool
	seen := map[string]bool{}
	for t, err := range session.Tools(ctx, nil) {
		if err != nil {
			return nil, fmt.Errorf("mcptool: list the server's tools: %w", err)
		}
		if len(opts.Include) > 0 && !slices.Contains(opts.Include, t.Name) {
			continue
		}
		seen[t.Name] = true
		schema, err := json.Marshal(t.InputSchema)
		if err != nil {
			return nil, fmt.Errorf("mcptool: tool %q: its input schema does not encode: %w", t.Name, err)
		}
		if string(schema) == "null" {
			schema = nil
		}
		pol := PolicyOf(t.Annotations)
		if p, ok := opts.Policies[t.Name]; ok {
			pol = p
		}
		desc := t.Description
		if desc == "" && t.Annotations != nil {
			desc = t.Annotations.Title
		}
		out = append(out, agent.RawTool(llm.Tool{Name: opts.Prefix + t.Name, Description: desc, Parameters: schema}, pol, caller(session, t.Name)))
	}
	for _, n := range opts.Include {
		if !seen[n] {
			return nil, fmt.Errorf("mcptool: Options.Include names %q, which the server does not list", n)
		}
	}
	for n := range opts.Policies {
		if !seen[n] {
			return nil, fmt.Errorf("mcptool: Options.Policies names %q, which is not among the server's (included) tools", n)
		}
	}
	return out, nil
}

// PolicyOf chooses a tool's policy from its MCP annotations, with the
// defaults of the MCP specification for missing hints (not read-only,
// destructive, not idempotent):
//
//	readOnlyHint                          agent.ReadOnly
//	destructiveHint (the default)         agent.NeedsApproval
//	not destructive, idempotentHint       agent.Idempotent
//	not destructive, not idempotent       agent.SideEffect
//
// Annotations are hints from the server: override them with
// Options.Policies for servers you do not trust.
func PolicyOf(a *mcp.ToolAnnotations) agent.Policy {
	if a == nil {
		return agent.NeedsApproval
	}
	switch {
	case a.ReadOnlyHint:
		return agent.ReadOnly
	case a.DestructiveHint == nil || *a.DestructiveHint:
		return agent.NeedsApproval
	case a.IdempotentHint:
		return agent.Idempotent
	}
	return agent.SideEffect
}

// caller returns the body of a tool: one CallTool on the session.
func caller(session *mcp.ClientSession, name string) func(context.Context, json.RawMessage) (json.RawMessage, error) {
	return func(ctx context.Context, args json.RawMessage) (json.RawMessage, error) {
		res, err := session.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
		if err != nil {
			var we *jsonrpc.Error
			if errors.As(err, &we) && we.Code != jsonrpc.CodeInternalError {
				// The server refused the request itself (unknown tool,
				// invalid params): repeating it will not help.
				return nil, agent.ToolError("mcp server refused %s: %s", name, we.Message)
			}
			return nil, fmt.Errorf("mcp call %s: %w", name, err)
		}
		if res.IsError {
			return nil, agent.ToolError("%s", text(res))
		}
		if res.StructuredContent != nil {
			b, err := json.Marshal(res.StructuredContent)
			if err != nil {
				return nil, agent.ToolError("mcp tool %s: its structured result does not encode: %v", name, err)
			}
			return b, nil
		}
		t := text(res)
		if trimmed := strings.TrimSpace(t); json.Valid([]byte(trimmed)) && (strings.HasPrefix(trimmed, "{") || strings.HasPrefix(trimmed, "[")) {
			return json.RawMessage(trimmed), nil
		}
		b, _ := json.Marshal(t) // a string always encodes
		return b, nil
	}
}

// text joins the result's text contents; other contents are named.
func text(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		switch x := c.(type) {
		case *mcp.TextContent:
			parts = append(parts, x.Text)
		case *mcp.ImageContent:
			parts = append(parts, "[image "+x.MIMEType+"]")
		case *mcp.AudioContent:
			parts = append(parts, "[audio "+x.MIMEType+"]")
		default:
			parts = append(parts, fmt.Sprintf("[%T]", c))
		}
	}
	return strings.Join(parts, "\n")
}
