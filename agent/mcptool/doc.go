// Package mcptool turns the tools of an MCP server into agent tools, using
// the official Go SDK (github.com/modelcontextprotocol/go-sdk). It is a
// separate package so that agents without MCP do not depend on the SDK.
//
// # Overview
//
// On the worker, connect to the server once and list its tools:
//
//	session, err := mcp.NewClient(&mcp.Implementation{Name: "support-worker"}, nil).
//		Connect(ctx, &mcp.CommandTransport{Command: exec.Command("crm-mcp")}, nil)
//	tools, err := mcptool.Tools(ctx, session, mcptool.Options{Prefix: "crm_"})
//	reg, err := agent.NewTools(agent.ToolsConfig{Store: store}, tools...)
//	reg.Register(w)
//
// Each call of an MCP tool is then an activity ([agent.ToolActivity]) that
// calls the server with CallTool, under the policy the tool's annotations
// choose ([PolicyOf]: read-only, idempotent, side-effecting, or needing
// approval when destructive), overridable per tool with Options.Policies.
//
// # Results and errors
//
// A result with IsError, or a request the server refuses (unknown tool,
// invalid parameters), is an agent.ToolError: its text goes back to the
// model and the call is not retried. A transport failure is a plain error:
// retried under the tool's retry policy. Structured content is sent to the
// model as JSON; text content as is when it is a JSON object or array,
// else as a JSON string.
//
// # Determinism
//
// Everything here runs on the worker; the workflow sees the tools through
// the catalogue ([agent.ActivityListTools]) like any other.
//
// # Testing
//
// The package's tests run an in-process MCP server (mcp.NewInMemoryTransports)
// behind a real dev server.
package mcptool
