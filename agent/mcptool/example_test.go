package mcptool_test

import (
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/durable-llm/durable-llm/agent/mcptool"
)

func ExamplePolicyOf() {
	no := false
	fmt.Println(mcptool.PolicyOf(&mcp.ToolAnnotations{ReadOnlyHint: true}))
	fmt.Println(mcptool.PolicyOf(&mcp.ToolAnnotations{DestructiveHint: &no, IdempotentHint: true}))
	fmt.Println(mcptool.PolicyOf(&mcp.ToolAnnotations{DestructiveHint: &no}))
	fmt.Println(mcptool.PolicyOf(nil)) // MCP's defaults: destructive
	// Output:
	// read-only
	// idempotent
	// side-effect
	// side-effect+approval
}
