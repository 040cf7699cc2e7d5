package llm

import (
	"encoding/json"
	"testing"
)

// FuzzStructuredOutput feeds arbitrary model answers to the structured-output
// check: it must not panic, and whatever it accepts must be a JSON document
// that really satisfies the schema.
func FuzzStructuredOutput(f *testing.F) {
	cs, err := compileSchema(json.RawMessage(`{"type":"object","properties":{"title":{"type":"string"},"score":{"type":"integer","minimum":0}},"required":["title","score"]}`))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		`{"title":"a","score":1}`,
		"Here you go:\n```json\n{\"title\":\"a\",\"score\":2}\n```",
		`text before {"title":"x","score":3} after`,
		`{"title":1}`, `[`, ``, `{"score":-1,"title":"neg"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		doc, problem := cs.check(text)
		if problem != "" {
			return
		}
		var v any
		if err := json.Unmarshal(doc, &v); err != nil {
			t.Fatalf("accepted %q as %q, which is not JSON: %v", text, doc, err)
		}
		if err := cs.resolved.Validate(v); err != nil {
			t.Fatalf("accepted %q although it breaks the schema: %v", doc, err)
		}
	})
}
