package baseline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/openai/openai-go/v3"
	"go.temporal.io/sdk/temporal"
)

// ErrTypeValidation is the application error type of bad input (the seed's
// ValidationError); it is not retried.
const ErrTypeValidation = "ValidationError"

// Doc is one version of the document, as the seed's activities return it.
type Doc struct {
	DocID   string `json:"doc_id"`
	Version int    `json:"version"`
	Draft   string `json:"draft"`
	Source  string `json:"source"`
}

// Final is the persisted document.
type Final struct {
	DocID   string `json:"doc_id"`
	Version int    `json:"version"`
	Content string `json:"content"`
	Status  string `json:"status"`
}

// Activities are the seed's activities. Register a *Activities on the worker.
type Activities struct {
	// Client calls the model.
	Client openai.Client
	// Model is used when the workflow names none; empty means gpt-4o-mini.
	Model string
	// Storage is the seed's folder of JSON files keyed by (doc_id, version);
	// empty means no files (every attempt calls the model).
	Storage string
}

// GenerateDraft drafts version of docID from prompt, returning the stored
// draft instead when a file for (docID, version) exists.
func (a *Activities) GenerateDraft(ctx context.Context, docID, prompt string, version int, model string) (Doc, error) {
	var existing Doc
	if a.read("draft", docID, version, &existing) {
		return existing, nil
	}
	if len(prompt) < 10 {
		return Doc{}, temporal.NewNonRetryableApplicationError("prompt too short for drafting", ErrTypeValidation, nil)
	}
	text, err := a.complete(ctx, model, "Draft a clear, concise document based on:\n"+prompt+"\nTone: professional.")
	if err != nil {
		return Doc{}, err
	}
	d := Doc{DocID: docID, Version: version, Draft: text, Source: "llm"}
	return d, a.write("draft", docID, version, d)
}

// ReviseDraft applies edits to baseText as version of docID, returning the
// stored revision instead when a file for (docID, version) exists.
func (a *Activities) ReviseDraft(ctx context.Context, docID, baseText, edits string, version int, model string) (Doc, error) {
	var existing Doc
	if a.read("revision", docID, version, &existing) {
		return existing, nil
	}
	if strings.TrimSpace(edits) == "" {
		return Doc{}, temporal.NewNonRetryableApplicationError("no edits provided", ErrTypeValidation, nil)
	}
	instructions := "Apply the user's edits faithfully. Keep structure, improve clarity, and " +
		"do not invent facts. Return the full revised document."
	text, err := a.complete(ctx, model, instructions+"\n\n--- Current Draft ---\n"+baseText+"\n\n--- Edits ---\n"+edits)
	if err != nil {
		return Doc{}, err
	}
	d := Doc{DocID: docID, Version: version, Draft: text, Source: "llm_revision"}
	return d, a.write("revision", docID, version, d)
}

// PersistFinal stores the approved content once per (docID, version).
func (a *Activities) PersistFinal(_ context.Context, docID, content string, version int) (Final, error) {
	var existing Final
	if a.read("final", docID, version, &existing) {
		return existing, nil
	}
	f := Final{DocID: docID, Version: version, Content: content, Status: "final"}
	return f, a.write("final", docID, version, f)
}

func (a *Activities) complete(ctx context.Context, model, prompt string) (string, error) {
	if model == "" {
		model = a.Model
	}
	if model == "" {
		model = "gpt-4o-mini"
	}
	resp, err := a.Client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:    model,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(prompt)},
	})
	if err != nil {
		return "", err
	}
	if len(resp.Choices) == 0 {
		return "", errors.New("baseline: no choices in the response")
	}
	return resp.Choices[0].Message.Content, nil
}

func (a *Activities) path(kind, docID string, version int) string {
	return filepath.Join(a.Storage, fmt.Sprintf("%s_%s_%d.json", kind, docID, version))
}

func (a *Activities) read(kind, docID string, version int, v any) bool {
	if a.Storage == "" {
		return false
	}
	b, err := os.ReadFile(a.path(kind, docID, version))
	return err == nil && json.Unmarshal(b, v) == nil
}

// write is the seed's atomic_write_json: temp file, fsync, rename.
func (a *Activities) write(kind, docID string, version int, v any) error {
	if a.Storage == "" {
		return nil
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(a.Storage, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(a.Storage, "tmp-*")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	if _, err := tmp.Write(b); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), a.path(kind, docID, version))
}
