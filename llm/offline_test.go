package llm

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func offlineActivities(t testing.TB) *Activities {
	return newActivities(t, Config{Models: map[string]Model{"m": Offline()}})
}

func TestOfflineText(t *testing.T) {
	a := offlineActivities(t)
	req := Request{Prompt: "Write a short report about durable workflows. Mention retries and budgets."}
	r1, err := runOnce(t, a, req)
	require.NoError(t, err)
	r2, err := runOnce(t, a, req)
	require.NoError(t, err)
	assert.Equal(t, r1, r2, "deterministic")
	assert.True(t, strings.HasPrefix(r1.Text, OfflineLabel), r1.Text)
	assert.Contains(t, r1.Text, "## Write a short report about durable workflows")
	assert.Contains(t, r1.Text, "- Mention retries and budgets")
	assert.True(t, r1.Offline)
	assert.Equal(t, OfflineModelID, r1.Model)
	assert.True(t, r1.CostKnown)
	assert.Zero(t, r1.CostUSD)
	assert.Positive(t, r1.PromptTokens)

	r3, err := runOnce(t, a, Request{Prompt: "something else"})
	require.NoError(t, err)
	assert.NotEqual(t, r1.Text, r3.Text, "the answer depends on the prompt")
}

type report struct {
	Title    string    `json:"title"`
	Markdown string    `json:"markdown"`
	Score    int       `json:"score" jsonschema:"a score"`
	Ratio    float64   `json:"ratio,omitempty"`
	Done     bool      `json:"done"`
	Sections []section `json:"sections"`
	Owner    *person   `json:"owner,omitempty"`
	Tags     map[string]string
}

type section struct {
	Heading string   `json:"heading"`
	Points  []string `json:"points"`
}

type person struct {
	Name string `json:"name"`
}

func TestOfflineJSON(t *testing.T) {
	a := offlineActivities(t)
	schema, _, err := schemaOf[report]()
	require.NoError(t, err)
	resp, err := runOnce(t, a, Request{Prompt: "Report on rivers", Schema: schema})
	require.NoError(t, err)
	assert.Empty(t, resp.SchemaError, "the offline answer matches the schema: %s", resp.Text)
	var r report
	require.NoError(t, json.Unmarshal(resp.JSON, &r))
	assert.Equal(t, "[offline model] title: Report on rivers", r.Title)
	assert.True(t, strings.HasPrefix(r.Markdown, OfflineLabel))
	require.Len(t, r.Sections, 1)
	assert.NotEmpty(t, r.Sections[0].Points)
}

func TestOfflineSchemaKeywords(t *testing.T) {
	raw := json.RawMessage(`{
		"type": "object",
		"properties": {
			"kind": {"enum": ["b", "a"]},
			"n": {"type": "integer", "minimum": 3, "maximum": 9},
			"x": {"type": "number", "exclusiveMinimum": 0.5},
			"at": {"type": "string", "format": "date-time"},
			"short": {"type": "string", "maxLength": 4},
			"long": {"type": "string", "minLength": 80},
			"list": {"type": "array", "items": {"$ref": "#/$defs/item"}, "minItems": 2},
			"c": {"const": 42},
			"maybe": {"type": ["null", "boolean"]}
		},
		"required": ["kind", "n", "x", "at", "short", "long", "list", "c", "maybe"],
		"$defs": {"item": {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]}}
	}`)
	cs, err := compileSchema(raw)
	require.NoError(t, err)
	resp := offlineAnswer(Request{Prompt: "x"}, cs)
	doc, problem := cs.check(resp.Text)
	assert.Empty(t, problem, resp.Text)
	var v map[string]any
	require.NoError(t, json.Unmarshal(doc, &v))
	assert.Equal(t, "b", v["kind"])
	assert.InDelta(t, 3, v["n"], 0)
	assert.InDelta(t, 1.5, v["x"], 0)
	assert.Len(t, v["list"], 2)
	assert.Equal(t, false, v["maybe"])
}

func TestExtractJSON(t *testing.T) {
	cases := map[string]string{
		`{"a":1}`:                         `{"a":1}`,
		"```json\n{\"a\": 1}\n```":        `{"a":1}`,
		"Sure! {\"a\": 1} Hope it helps.": `{"a":1}`,
		"[1, 2]":                          `[1,2]`,
		"no json here":                    ``,
		"":                                ``,
	}
	for in, want := range cases {
		assert.Equal(t, want, string(extractJSON(in)), "%q", in)
	}
}
