package hitl

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Excerpter is implemented by drafts that render their own excerpt, such
// as [DraftRef].
type Excerpter interface {
	Excerpt() string
}

// DraftRef is a draft passed by reference: the text lives in the caller's
// store (object storage, a database) and workflow history holds only its
// key, hash, size and head. Use it as the T of [Run] for drafts that are
// large or many: every version would otherwise be in history twice (the
// activity result and the continue-as-new state).
//
// The Draft and Revise activities write the text to the store and return
// NewDraftRef(key, text); the reviewer UI loads the text by Key and can
// check it with [DraftRef.Verify].
type DraftRef struct {
	// Key locates the text in the caller's store, e.g. "doc-123/v4".
	Key string `json:"key"`
	// SHA256 is the hex SHA-256 of the text. A reference passed only to
	// load the text (an activity's input) may leave it and Head empty when
	// its Key already names the content.
	SHA256 string `json:"sha256,omitempty"`
	// Size is the length of the text in bytes.
	Size int `json:"size"`
	// Head is the first characters of the text, for the status.
	Head string `json:"head,omitempty"`
}

// NewDraftRef describes content stored under key. It runs in activity code
// (where the text is), and is deterministic, so workflow code may call it too.
func NewDraftRef(key string, content []byte) DraftRef {
	sum := sha256.Sum256(content)
	return DraftRef{
		Key:    key,
		SHA256: hex.EncodeToString(sum[:]),
		Size:   len(content),
		Head:   clip(string(content), excerptRunes),
	}
}

// Excerpt implements [Excerpter].
func (r DraftRef) Excerpt() string { return r.Head }

// Verify reports an error when content is not the text r describes (a
// store that returned another version, or a corrupted object).
func (r DraftRef) Verify(content []byte) error {
	sum := sha256.Sum256(content)
	if got := hex.EncodeToString(sum[:]); got != r.SHA256 {
		return fmt.Errorf("hitl: draft %q has hash %s, want %s: the store returned another version", r.Key, got, r.SHA256)
	}
	return nil
}

// clip returns s cut to at most n runes, with an ellipsis when cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for pos := range s {
		if i == n {
			return strings.TrimRight(s[:pos], " \n\t") + "…"
		}
		i++
	}
	return s
}

func excerptOf(v any) string {
	switch x := v.(type) {
	case Excerpter:
		return clip(x.Excerpt(), excerptRunes)
	case string:
		return clip(x, excerptRunes)
	case fmt.Stringer:
		return clip(x.String(), excerptRunes)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return clip(string(b), excerptRunes)
}
