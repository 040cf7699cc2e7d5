package agent

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
)

// CallHash is what an approval binds: the hex SHA-256 of the tool's name, a
// zero byte and the canonical JSON of the arguments ([Canonical]). Two calls
// with the same hash do the same thing.
func CallHash(tool string, canonicalArgs json.RawMessage) string {
	h := sha256.New()
	h.Write([]byte(tool))
	h.Write([]byte{0})
	h.Write(canonicalArgs)
	return hex.EncodeToString(h.Sum(nil))
}

// Canonical returns args re-encoded with sorted object keys and no
// insignificant space, numbers kept as written. Empty args mean {}. It
// fails when args is not one JSON object.
func Canonical(args string) (json.RawMessage, error) {
	obj, err := decodeObject(args)
	if err != nil {
		return nil, err
	}
	return encodeObject(obj)
}

// Patch returns args with the top-level fields of patch (a JSON object)
// replaced or added, canonical: how a reviewer's edit changes a call.
func Patch(args, patch string) (json.RawMessage, error) {
	base, err := decodeObject(args)
	if err != nil {
		return nil, err
	}
	p, err := decodeObject(patch)
	if err != nil {
		return nil, fmt.Errorf("the edit: %w", err)
	}
	maps.Copy(base, p)
	return encodeObject(base)
}

func decodeObject(s string) (map[string]any, error) {
	if len(bytes.TrimSpace([]byte(s))) == 0 {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("not valid JSON: %v", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("more than one JSON value")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("arguments must be a JSON object, got %s", kind(v))
	}
	return obj, nil
}

func encodeObject(obj map[string]any) (json.RawMessage, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(obj); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}
