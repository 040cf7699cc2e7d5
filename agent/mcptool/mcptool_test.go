package mcptool_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/agent"
	"github.com/durable-llm/durable-llm/agent/mcptool"
	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/idem"
	"github.com/durable-llm/durable-llm/llm"
)

// notes is the state of the in-process MCP server of these tests.
type notes struct {
	mu    sync.Mutex
	items []string
	adds  int
}

type searchIn struct {
	Query string `json:"query"`
}

type noteIn struct {
	Text string `json:"text"`
}

type listOut struct {
	Notes []string `json:"notes"`
}

func no() *bool { b := false; return &b }

// serve starts an MCP server with four tools, one per annotation case, and
// returns a client session connected to it in memory.
func serve(t *testing.T, n *notes) *mcp.ClientSession {
	t.Helper()
	ctx := context.Background()
	server := mcp.NewServer(&mcp.Implementation{Name: "notes", Version: "v1"}, nil)
	mcp.AddTool(server, &mcp.Tool{Name: "search_notes", Description: "Search the notes", Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true}},
		func(_ context.Context, _ *mcp.CallToolRequest, in searchIn) (*mcp.CallToolResult, listOut, error) {
			n.mu.Lock()
			defer n.mu.Unlock()
			return nil, listOut{Notes: slices.Clone(n.items)}, nil
		})
	mcp.AddTool(server, &mcp.Tool{Name: "add_note", Description: "Add a note", Annotations: &mcp.ToolAnnotations{DestructiveHint: no()}},
		func(_ context.Context, _ *mcp.CallToolRequest, in noteIn) (*mcp.CallToolResult, listOut, error) {
			n.mu.Lock()
			defer n.mu.Unlock()
			if in.Text == "" {
				return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: "a note needs text"}}}, listOut{}, nil
			}
			n.adds++
			n.items = append(n.items, in.Text)
			return nil, listOut{Notes: slices.Clone(n.items)}, nil
		})
	mcp.AddTool(server, &mcp.Tool{Name: "pin_note", Description: "Pin a note", Annotations: &mcp.ToolAnnotations{DestructiveHint: no(), IdempotentHint: true}},
		func(_ context.Context, _ *mcp.CallToolRequest, in noteIn) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "pinned " + in.Text}}}, nil, nil
		})
	mcp.AddTool(server, &mcp.Tool{Name: "delete_notes", Description: "Delete every note"},
		func(_ context.Context, _ *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
			n.mu.Lock()
			defer n.mu.Unlock()
			n.items = nil
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "deleted"}}}, nil, nil
		})
	st, ct := mcp.NewInMemoryTransports()
	ss, err := server.Connect(ctx, st, nil)
	require.NoError(t, err)
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "worker", Version: "v1"}, nil).Connect(ctx, ct, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = cs.Close(); _ = ss.Close() })
	return cs
}

func TestPolicyOf(t *testing.T) {
	yes := true
	cases := []struct {
		a    *mcp.ToolAnnotations
		want agent.Policy
	}{
		{nil, agent.NeedsApproval},
		{&mcp.ToolAnnotations{}, agent.NeedsApproval},
		{&mcp.ToolAnnotations{ReadOnlyHint: true}, agent.ReadOnly},
		{&mcp.ToolAnnotations{DestructiveHint: &yes}, agent.NeedsApproval},
		{&mcp.ToolAnnotations{DestructiveHint: no()}, agent.SideEffect},
		{&mcp.ToolAnnotations{DestructiveHint: no(), IdempotentHint: true}, agent.Idempotent},
	}
	for i, c := range cases {
		assert.Equal(t, c.want, mcptool.PolicyOf(c.a), "case %d", i)
	}
}

func TestTools(t *testing.T) {
	cs := serve(t, &notes{})
	ctx := context.Background()
	tools, err := mcptool.Tools(ctx, cs, mcptool.Options{Prefix: "notes_", Policies: map[string]agent.Policy{"delete_notes": agent.SideEffect}})
	require.NoError(t, err)
	got := map[string]agent.Policy{}
	for _, tl := range tools {
		got[tl.Spec().Name] = tl.Spec().Policy
	}
	assert.Equal(t, map[string]agent.Policy{
		"notes_search_notes": agent.ReadOnly,
		"notes_add_note":     agent.SideEffect,
		"notes_pin_note":     agent.Idempotent,
		"notes_delete_notes": agent.SideEffect, // overridden
	}, got)
	var schema map[string]any
	require.NoError(t, json.Unmarshal(tools[0].Spec().Parameters, &schema))
	assert.Equal(t, "object", schema["type"])

	only, err := mcptool.Tools(ctx, cs, mcptool.Options{Include: []string{"search_notes"}})
	require.NoError(t, err)
	require.Len(t, only, 1)
	_, err = mcptool.Tools(ctx, cs, mcptool.Options{Include: []string{"nope"}})
	require.ErrorContains(t, err, `"nope"`)
	_, err = mcptool.Tools(ctx, cs, mcptool.Options{Policies: map[string]agent.Policy{"nope": agent.ReadOnly}})
	require.ErrorContains(t, err, `"nope"`)
}

// supportInput is the agent workflow's input in this test.
type input struct {
	Config agent.Config
	State  *agent.State `json:",omitempty"`
}

func notesAgent(ctx workflow.Context, in input) (agent.Result, error) {
	in.Config.ContinueAsNew = func(ctx workflow.Context, s *agent.State) error {
		in.State = s
		return workflow.NewContinueAsNewError(ctx, notesAgent, in)
	}
	return agent.Run(ctx, in.Config, in.State)
}

// TestIntegrationMCPTools runs an agent on a dev server whose tools come
// from an in-process MCP server: the offline model searches, then adds a
// note; each call is an activity that calls the server once.
func TestIntegrationMCPTools(t *testing.T) {
	srv := durabletest.Server(t)
	n := &notes{items: []string{"eggs"}}
	cs := serve(t, n)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tools, err := mcptool.Tools(ctx, cs, mcptool.Options{})
	require.NoError(t, err)
	dir := t.TempDir()
	w := durabletest.StartWorker(t, srv, func(r worker.Registry) {
		store, err := idem.NewFileStore(filepath.Join(dir, "idem"))
		require.NoError(t, err)
		reg, err := agent.NewTools(agent.ToolsConfig{Store: store}, tools...)
		require.NoError(t, err)
		reg.Register(r)
		acts, err := llm.NewActivities(llm.Config{Models: map[string]llm.Model{"offline": llm.Offline()}})
		require.NoError(t, err)
		acts.Register(r)
		r.RegisterWorkflow(notesAgent)
	})
	run, err := srv.Client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "notes-" + uuid.NewString()[:8], TaskQueue: w.TaskQueue}, notesAgent,
		input{Config: agent.Config{Prompt: "Search notes for milk, then add note milk.", Tools: []string{"search_notes", "add_note"}}})
	require.NoError(t, err)
	var res agent.Result
	require.NoError(t, run.Get(ctx, &res))
	assert.Equal(t, agent.StopAnswered, res.Stop)
	require.Len(t, res.Calls, 2)
	assert.Equal(t, agent.ReadOnly, res.Calls[0].Policy)
	assert.Equal(t, agent.SideEffect, res.Calls[1].Policy)
	assert.NotEmpty(t, res.Calls[1].Key)
	assert.Contains(t, res.Answer, `- search_notes: {"notes":["eggs"]}`)
	n.mu.Lock()
	defer n.mu.Unlock()
	assert.Equal(t, 1, n.adds, "the server was called once")
	assert.Len(t, n.items, 2)
	assert.Contains(t, n.items[1], llm.OfflineLabel, fmt.Sprint(n.items))
}

// TestToolResultsAndErrors calls the tools' activities: structured and
// text results become JSON for the model; an IsError result and a request
// the server refuses are tool errors, not retried.
func TestToolResultsAndErrors(t *testing.T) {
	cs := serve(t, &notes{items: []string{"eggs"}})
	tools, err := mcptool.Tools(context.Background(), cs, mcptool.Options{})
	require.NoError(t, err)
	reg, err := agent.NewTools(agent.ToolsConfig{Store: idem.NewMemoryStore()}, tools...)
	require.NoError(t, err)
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	reg.RegisterActivities(env)
	callTool := func(name, args string) (agent.CallOutput, error) {
		in := agent.CallInput{Call: llm.ToolCall{ID: "c-" + name, Name: name, Arguments: args}, Key: "k-" + name + args}
		v, err := env.ExecuteActivity(agent.ToolActivity(name), in)
		if err != nil {
			return agent.CallOutput{}, err
		}
		var out agent.CallOutput
		require.NoError(t, v.Get(&out))
		return out, nil
	}
	out, err := callTool("search_notes", `{"query":"x"}`)
	require.NoError(t, err)
	assert.JSONEq(t, `{"notes":["eggs"]}`, out.Content)
	out, err = callTool("pin_note", `{"text":"eggs"}`)
	require.NoError(t, err)
	assert.Equal(t, `"pinned eggs"`, out.Content, "text that is not JSON is sent as a JSON string")

	_, err = callTool("add_note", `{"text":""}`)
	require.Error(t, err)
	assert.True(t, agent.IsToolError(err), "%v", err)
	assert.ErrorContains(t, err, "a note needs text")

	_, err = callTool("add_note", `{"text":5}`)
	require.Error(t, err)
	assert.True(t, agent.IsInvalidArguments(err), "checked against the server's schema before the call: %v", err)
}
