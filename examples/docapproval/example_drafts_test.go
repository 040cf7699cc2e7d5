package docapproval_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/durable-llm/durable-llm/examples/docapproval"
	"github.com/durable-llm/durable-llm/hitl"
)

// A long draft lives in the store the workers share; the Document in
// history holds its reference, and LoadText reads the text back, checked
// against its hash.
func ExampleLoadText() {
	dir, _ := os.MkdirTemp("", "drafts")
	defer os.RemoveAll(dir)
	drafts, err := docapproval.NewFileDrafts(dir)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	text := strings.Repeat("ACME TurboWidget keeps its promises. ", 100)
	sum := sha256.Sum256([]byte(text))
	key := docapproval.TextKey("doc-123", 2, hex.EncodeToString(sum[:]))
	if err := drafts.Put(ctx, key, []byte(text)); err != nil {
		panic(err)
	}
	ref := hitl.NewDraftRef(key, []byte(text))
	doc := docapproval.Document{DocID: "doc-123", Version: 2, Ref: &ref}

	got, err := docapproval.LoadText(ctx, drafts, doc)
	fmt.Println(key, doc.Size(), err, got == text)
	// Output:
	// doc-123_v2_e6c309edb8e648a3 3700 <nil> true
}
