package llm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
)

// compiledSchema is a request schema resolved for validation.
type compiledSchema struct {
	schema   *jsonschema.Schema
	resolved *jsonschema.Resolved
}

// compile resolves a schema once per distinct schema text.
func (a *Activities) compile(raw json.RawMessage) (*compiledSchema, error) {
	if v, ok := a.schemas.Load(string(raw)); ok {
		return v.(*compiledSchema), nil
	}
	cs, err := compileSchema(raw)
	if err != nil {
		return nil, err
	}
	a.schemas.Store(string(raw), cs)
	return cs, nil
}

func compileSchema(raw json.RawMessage) (*compiledSchema, error) {
	var s jsonschema.Schema
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, err
	}
	if s.Schema != "" && !strings.Contains(s.Schema, "draft-07") && !strings.Contains(s.Schema, "2020-12") {
		return nil, fmt.Errorf("$schema %q: only draft-07 and draft 2020-12 can be validated", s.Schema)
	}
	r, err := s.Resolve(nil)
	if err != nil {
		return nil, err
	}
	return &compiledSchema{schema: &s, resolved: r}, nil
}

// check finds the JSON document in text and validates it; it returns the
// document (nil when none was found) and why it is invalid ("" when valid).
func (cs *compiledSchema) check(text string) (json.RawMessage, string) {
	doc := extractJSON(text)
	if doc == nil {
		return nil, "the answer is not a JSON document"
	}
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return doc, "the answer is not valid JSON: " + err.Error()
	}
	if err := cs.resolved.Validate(v); err != nil {
		return doc, err.Error()
	}
	return doc, ""
}

// extractJSON returns the JSON document in text: the whole text, the body
// of a ``` code fence, or the span from the first '{' or '[' to the last
// matching bracket. It returns nil when none parses.
func extractJSON(text string) json.RawMessage {
	t := strings.TrimSpace(text)
	if json.Valid([]byte(t)) && t != "" {
		return compact(t)
	}
	if i := strings.Index(t, "```"); i >= 0 {
		body := t[i+3:]
		if nl := strings.IndexByte(body, '\n'); nl >= 0 {
			body = body[nl+1:] // drop the info string ("json")
		}
		if j := strings.Index(body, "```"); j >= 0 {
			body = strings.TrimSpace(body[:j])
			if json.Valid([]byte(body)) && body != "" {
				return compact(body)
			}
		}
	}
	for _, pair := range [][2]string{{"{", "}"}, {"[", "]"}} {
		i, j := strings.Index(t, pair[0]), strings.LastIndex(t, pair[1])
		if i >= 0 && j > i && json.Valid([]byte(t[i:j+1])) {
			return compact(t[i : j+1])
		}
	}
	return nil
}

func compact(s string) json.RawMessage {
	var b bytes.Buffer
	if json.Compact(&b, []byte(s)) != nil {
		return json.RawMessage(s)
	}
	return b.Bytes()
}
