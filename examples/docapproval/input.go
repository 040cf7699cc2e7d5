package docapproval

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"go.temporal.io/sdk/temporal"

	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/llm"
	"github.com/durable-llm/durable-llm/stream"
)

// Limits of [Input.Validate].
const (
	// MinPromptChars is the shortest prompt accepted, in characters after
	// trimming spaces (the seed's rule).
	MinPromptChars = 10
	// MaxPromptBytes bounds the prompt, which is recorded in workflow
	// history with every LLM request.
	MaxPromptBytes = 32 << 10
	// MaxDocIDLen bounds a doc_id.
	MaxDocIDLen = 100
)

// Application error types the workflow and its activities return. Match
// them with the IsX helpers.
const (
	// ErrTypeInvalidInput: the doc_id or prompt is unusable. Non-retryable:
	// fix the input and start a new review.
	ErrTypeInvalidInput = "DocApprovalInvalidInput"
	// ErrTypeTransient: the failure injected by [Input.InjectTransientFailure].
	// Retryable: the next attempt succeeds.
	ErrTypeTransient = "DocApprovalTransient"
	// ErrTypeConflict: an approved record with other content already holds
	// the (doc_id, version). Non-retryable: use a new doc_id.
	ErrTypeConflict = "DocApprovalConflict"
)

// ErrInvalidInput is matched (errors.Is) by the *[InputError] that
// [Input.Validate] returns.
var ErrInvalidInput = errors.New("docapproval: invalid input")

// InputError is one problem with an [Input].
type InputError struct {
	// Field is "doc_id" or "prompt".
	Field string
	// Problem says what is wrong and what to do.
	Problem string
}

// Error implements error.
func (e *InputError) Error() string { return "docapproval: " + e.Field + ": " + e.Problem }

// Unwrap returns [ErrInvalidInput].
func (e *InputError) Unwrap() error { return ErrInvalidInput }

// IsInvalidInput reports whether err is, or wraps (for example in the
// *temporal.WorkflowExecutionError a client gets), an [ErrTypeInvalidInput]
// application error, or an *[InputError].
func IsInvalidInput(err error) bool {
	return isType(err, ErrTypeInvalidInput) || errors.Is(err, ErrInvalidInput)
}

// IsTransient reports whether err is, or wraps, the injected
// [ErrTypeTransient] failure.
func IsTransient(err error) bool { return isType(err, ErrTypeTransient) }

// IsConflict reports whether err is, or wraps, an [ErrTypeConflict]
// application error.
func IsConflict(err error) bool { return isType(err, ErrTypeConflict) }

func isType(err error, typ string) bool {
	var ae *temporal.ApplicationError
	return errors.As(err, &ae) && ae.Type() == typ
}

// Input starts a review: the workflow drafts the document from Prompt, then
// waits for reviewers.
type Input struct {
	// DocID names the document: 1 to 100 of a-z, A-Z, 0-9, '.', '_' and
	// '-', starting with a letter or digit. It keys the LLM calls
	// ((doc_id, version)) and the approved record (<doc_id>_<version>.json).
	DocID string `json:"doc_id"`
	// Prompt says what to draft: at least 10 characters after trimming.
	Prompt string `json:"prompt"`
	// Model is the configured llm model name (see llm.Config.Models).
	// Empty means the worker's default model.
	Model string `json:"model,omitempty"`
	// Stages are the review's stages (reviewers, quorum, deadlines). Empty
	// means one stage that any reviewer may approve.
	Stages []hitl.Stage `json:"stages,omitempty"`
	// InjectTransientFailure makes the first attempt of the persist
	// activity fail with a retryable [ErrTypeTransient] error after it
	// wrote the record, as if the worker had died before reporting; the
	// retry finds the record and returns it unchanged.
	InjectTransientFailure bool `json:"inject_transient_failure,omitempty"`
	// MaxDecisionsPerRun continues the workflow as new after this many
	// decisions (hitl.Config.MaxDecisionsPerRun). 0 means hitl's default.
	MaxDecisionsPerRun int `json:"max_decisions_per_run,omitempty"`
	// UpsertRevising sets the HITLStatus search attribute to "revising"
	// while an edit is revised (hitl.Config.UpsertRevising: two more
	// upserts per edit). Off, it stays "open" until the review closes.
	UpsertRevising bool `json:"upsert_revising,omitempty"`
	// Resume carries the review through continue-as-new. Leave it nil.
	Resume *hitl.State[Document] `json:"resume,omitempty"`
	// Stream carries the live stream of the drafts through
	// continue-as-new. Leave it nil.
	Stream *stream.State `json:"stream,omitempty"`
	// Stopped carries the usage of the revisions stopped since the
	// current version through continue-as-new. Leave it zero.
	Stopped llm.Usage `json:"stopped,omitzero"`
}

var reDocID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// Validate checks DocID and Prompt and returns an *[InputError] (matching
// [ErrInvalidInput]) for the first problem. The workflow runs it before
// anything else; clients may run it before starting a review.
func (in Input) Validate() error {
	if err := validateDocID(in.DocID); err != nil {
		return err
	}
	p := strings.TrimSpace(in.Prompt)
	switch {
	case utf8.RuneCountInString(p) < MinPromptChars:
		return &InputError{Field: "prompt", Problem: fmt.Sprintf(
			"%q is too short (%d characters): say what to draft in at least %d characters",
			p, utf8.RuneCountInString(p), MinPromptChars)}
	case len(in.Prompt) > MaxPromptBytes:
		return &InputError{Field: "prompt", Problem: fmt.Sprintf(
			"%d bytes is too long (at most %d): pass a summary, or a reference to the material",
			len(in.Prompt), MaxPromptBytes)}
	}
	return nil
}

func validateDocID(id string) error {
	switch {
	case id == "":
		return &InputError{Field: "doc_id", Problem: "missing: give the document an id such as doc-123"}
	case len(id) > MaxDocIDLen:
		return &InputError{Field: "doc_id", Problem: fmt.Sprintf("%d characters is too long (at most %d)", len(id), MaxDocIDLen)}
	case !reDocID.MatchString(id):
		return &InputError{Field: "doc_id", Problem: fmt.Sprintf(
			"%q: use letters, digits, '.', '_' and '-', starting with a letter or digit (it becomes a file name)", id)}
	}
	return nil
}

// invalidInput converts err into the non-retryable application error the
// workflow and activities return.
func invalidInput(err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidInput, nil)
}
