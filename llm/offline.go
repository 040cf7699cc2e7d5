package llm

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/google/jsonschema-go/jsonschema"
)

const (
	// OfflineModelID is the model id the offline model reports.
	OfflineModelID = "offline"
	// OfflineLabel starts every plain-text answer of the offline model and
	// every string it puts in a structured answer.
	OfflineLabel = "[offline model]"
)

// Offline returns a model that answers locally, without a provider or a key,
// so demos and tests run anywhere. Its answers are deterministic functions
// of the request and clearly labelled: plain answers are Markdown starting
// with [OfflineLabel]; with a [Request.Schema] it answers with a JSON value
// that matches the schema (strings labelled, numbers at their minimum,
// arrays with their minimum number of items, at least one). It costs
// nothing ([Response.CostKnown] is true, CostUSD 0).
//
// With [Request.Tools] it calls tools by a fixed rule, so tool-calling
// agents run without a key. The prompt is the last user message and the
// turn is what follows it. A tool is wanted when the prompt mentions its
// name as whole words, case-insensitive, with "_", "-" and " "
// interchangeable ("issue refund" mentions issue_refund); a ToolChoice naming a tool wants just
// that one, [ToolChoiceRequired] with no mention wants the first tool,
// [ToolChoiceNone] wants none. A tool is done once an assistant message of
// the turn called it or says "called <name>". While a wanted tool is not
// done, the answer (FinishReason "tool_calls") calls the first one in the
// order of mention, or all of them when ParallelToolCalls is true. Each
// argument takes the same-named field of the turn's newest JSON-object tool
// result that has one; else an id-like string ("id", "order_id", "orderId")
// takes the first word of the prompt with a digit, an email the first word
// with "@", a number the first number of the prompt; else the value
// generated from the schema as above. Call ids are "call_offline_" and a
// hash of the conversation, so the same conversation gets the same ids.
// Once every wanted tool is done, the answer lists the turn's tool results
// under [OfflineLabel] (or is the structured answer when the request has a
// Schema); with no tool wanted, the answer is the plain one.
func Offline() Model { return Model{Offline: true} }

// offlineAnswer is the offline model's answer to req.
func offlineAnswer(req Request, schema *compiledSchema) Response {
	if resp, ok := offlineToolAnswer(req, schema); ok {
		return resp
	}
	msgs := req.allMessages()
	prompt := ""
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == RoleUser {
			prompt = msgs[i].Content
			break
		}
	}
	var text string
	if schema != nil {
		g := offlineGen{root: schema.schema, topic: topicOf(prompt), markdown: offlineMarkdown(prompt)}
		b, err := json.Marshal(g.value(schema.schema, "output", 0))
		if err != nil {
			b = []byte("null")
		}
		text = string(b)
	} else {
		text = offlineMarkdown(prompt)
	}
	return Response{
		Text:             text,
		FinishReason:     "stop",
		Model:            OfflineModelID,
		PromptTokens:     int64(estimateTokens(req.promptChars())),
		CompletionTokens: int64(estimateTokens(len(text))),
		Offline:          true,
	}
}

// offlineMarkdown is a short Markdown document derived from the prompt.
func offlineMarkdown(prompt string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s No provider was called: this text is generated locally from the prompt.\n\n", OfflineLabel)
	fmt.Fprintf(&b, "## %s\n\n", titleCase(topicOf(prompt)))
	sentences := splitSentences(prompt)
	if len(sentences) > 3 {
		sentences = sentences[:3]
	}
	for _, s := range sentences {
		fmt.Fprintf(&b, "- %s\n", s)
	}
	if terms := keyTerms(prompt, 5); len(terms) > 0 {
		fmt.Fprintf(&b, "\nKey terms: %s.\n", strings.Join(terms, ", "))
	}
	return b.String()
}

// topicOf is the first eight words of the prompt.
func topicOf(prompt string) string {
	w := strings.Fields(prompt)
	if len(w) > 8 {
		w = w[:8]
	}
	if len(w) == 0 {
		return "Empty prompt"
	}
	return strings.TrimRight(strings.Join(w, " "), ".:;,!?")
}

func titleCase(s string) string {
	r := []rune(s)
	if len(r) > 0 {
		r[0] = unicode.ToUpper(r[0])
	}
	return string(r)
}

func splitSentences(s string) []string {
	var out []string
	for _, line := range strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == '\n' || r == '?' || r == '!' }) {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// keyTerms returns the n most frequent words of four letters or more, ties
// broken alphabetically.
func keyTerms(s string, n int) []string {
	counts := map[string]int{}
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) }) {
		if len(w) >= 4 {
			counts[w]++
		}
	}
	words := make([]string, 0, len(counts))
	for w := range counts {
		words = append(words, w)
	}
	slices.SortFunc(words, func(a, b string) int {
		if counts[a] != counts[b] {
			return counts[b] - counts[a]
		}
		return strings.Compare(a, b)
	})
	if len(words) > n {
		words = words[:n]
	}
	return words
}

// offlineGen builds a JSON value matching a schema.
type offlineGen struct {
	root     *jsonschema.Schema
	topic    string
	markdown string
}

func (g offlineGen) value(s *jsonschema.Schema, name string, depth int) any {
	if s == nil || depth > 12 {
		return nil
	}
	if s.Ref != "" {
		return g.value(g.ref(s.Ref), name, depth+1)
	}
	switch {
	case s.Const != nil:
		return *s.Const
	case len(s.Enum) > 0:
		return s.Enum[0]
	case len(s.Default) > 0:
		var v any
		if json.Unmarshal(s.Default, &v) == nil {
			return v
		}
	case len(s.AnyOf) > 0:
		return g.value(s.AnyOf[0], name, depth+1)
	case len(s.OneOf) > 0:
		return g.value(s.OneOf[0], name, depth+1)
	case len(s.AllOf) > 0:
		return g.value(s.AllOf[0], name, depth+1)
	}
	typ := s.Type
	for _, t := range s.Types {
		if t != "null" {
			typ = t
			break
		}
	}
	if typ == "" && s.Properties != nil {
		typ = "object"
	}
	switch typ {
	case "object":
		obj := map[string]any{}
		for k, p := range s.Properties {
			obj[k] = g.value(p, k, depth+1)
		}
		return obj
	case "array":
		n := 1
		if s.MinItems != nil && *s.MinItems > n {
			n = *s.MinItems
		}
		if s.MaxItems != nil && *s.MaxItems < n {
			n = *s.MaxItems
		}
		arr := make([]any, n)
		for i := range arr {
			arr[i] = g.value(s.Items, name, depth+1)
		}
		return arr
	case "string":
		return g.str(s, name)
	case "integer", "number":
		return number(s, typ == "integer")
	case "boolean":
		return false
	}
	return nil
}

func (g offlineGen) ref(ref string) *jsonschema.Schema {
	for _, prefix := range []string{"#/$defs/", "#/definitions/"} {
		if name, ok := strings.CutPrefix(ref, prefix); ok {
			if s := g.root.Defs[name]; s != nil {
				return s
			}
			return g.root.Definitions[name]
		}
	}
	if ref == "#" {
		return g.root
	}
	return nil
}

func (g offlineGen) str(s *jsonschema.Schema, name string) string {
	switch s.Format {
	case "date-time":
		return "2000-01-01T00:00:00Z"
	case "date":
		return "2000-01-01"
	case "email":
		return "offline@example.com"
	case "uri", "url":
		return "https://example.com/offline"
	}
	v := fmt.Sprintf("%s %s: %s", OfflineLabel, name, g.topic)
	lower := strings.ToLower(name)
	for _, long := range []string{"markdown", "body", "content", "report", "text"} {
		if strings.Contains(lower, long) {
			v = g.markdown
		}
	}
	if s.MaxLength != nil && len([]rune(v)) > *s.MaxLength {
		v = string([]rune(v)[:*s.MaxLength])
	}
	if s.MinLength != nil && len([]rune(v)) < *s.MinLength {
		v += strings.Repeat(".", *s.MinLength-len([]rune(v)))
	}
	return v
}

// number is the smallest allowed value, or 0 when that is allowed.
func number(s *jsonschema.Schema, integer bool) any {
	v := 0.0
	if s.Minimum != nil && *s.Minimum > v {
		v = *s.Minimum
	}
	if s.ExclusiveMinimum != nil && *s.ExclusiveMinimum >= v {
		v = *s.ExclusiveMinimum + 1
	}
	if s.Maximum != nil && *s.Maximum < v {
		v = *s.Maximum
	}
	if integer {
		return int64(v)
	}
	return v
}
