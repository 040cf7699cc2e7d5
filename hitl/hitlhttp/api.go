package hitlhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"github.com/durable-llm/durable-llm/hitl"
)

// Summary is one review in the list: what the search attributes say.
type Summary struct {
	WorkflowID   string    `json:"workflow_id"`
	RunID        string    `json:"run_id"`
	WorkflowType string    `json:"workflow_type"`
	Phase        string    `json:"phase"`
	Stage        string    `json:"stage"`
	Pending      []string  `json:"pending"`
	StartTime    time.Time `json:"start_time"`
	// URL is the review's HTML page.
	URL string `json:"url"`
}

// Review is the answer of GET /api/reviews/{id}.
type Review struct {
	WorkflowID string      `json:"workflow_id"`
	Status     hitl.Status `json:"status"`
	// Draft is the current draft rendered as text.
	Draft string `json:"draft"`
	// Versions describes the versions the review remembers (who asked for
	// each, model, tokens, cost), oldest first; empty when its worker
	// predates hitl.QueryVersions.
	Versions []hitl.VersionInfo `json:"versions,omitempty"`

	markdown bool // Draft is Markdown (not the JSON fallback)
}

// list runs the visibility query for the list page and API.
func (h *Handler) list(ctx context.Context, status, reviewer string) ([]Summary, error) {
	q, err := h.listQuery(status, reviewer)
	if err != nil {
		return nil, err
	}
	resp, err := h.c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Query: q, PageSize: int32(h.opts.PageSize),
	})
	if err != nil {
		return nil, fmt.Errorf("hitlhttp: list reviews with %q (are the HITL* search attributes registered?): %w", q, err)
	}
	out := make([]Summary, 0, len(resp.GetExecutions()))
	for _, e := range resp.GetExecutions() {
		sa := e.GetSearchAttributes().GetIndexedFields()
		s := Summary{
			WorkflowID:   e.GetExecution().GetWorkflowId(),
			RunID:        e.GetExecution().GetRunId(),
			WorkflowType: e.GetType().GetName(),
			StartTime:    e.GetStartTime().AsTime(),
		}
		decode(sa[hitl.StatusAttribute.GetName()], &s.Phase)
		decode(sa[hitl.StageAttribute.GetName()], &s.Stage)
		decode(sa[hitl.PendingReviewersAttribute.GetName()], &s.Pending)
		s.URL = h.reviewURL(s.WorkflowID)
		out = append(out, s)
	}
	return out, nil
}

func decode(p *commonpb.Payload, into any) {
	if p != nil {
		_ = converter.GetDefaultDataConverter().FromPayload(p, into)
	}
}

var openPhases = []hitl.Phase{hitl.PhaseDrafting, hitl.PhaseOpen, hitl.PhaseRevising}

// listQuery builds the visibility query: open reviews by default, or the
// given phase; only those waiting for reviewer when set.
func (h *Handler) listQuery(status, reviewer string) (string, error) {
	var parts []string
	switch status {
	case "", "open":
		quoted := make([]string, len(openPhases))
		for i, p := range openPhases {
			quoted[i] = quote(string(p))
		}
		parts = append(parts, fmt.Sprintf("%s IN (%s)", hitl.StatusAttribute.GetName(), strings.Join(quoted, ", ")))
	default:
		if !hitl.Phase(status).Closed() && hitl.Phase(status) != hitl.PhaseOpen {
			return "", fmt.Errorf("%w: unknown status %q: use open, approved, rejected, timed_out, canceled or failed", errBadRequest, status)
		}
		parts = append(parts, fmt.Sprintf("%s = %s", hitl.StatusAttribute.GetName(), quote(status)))
	}
	if reviewer != "" {
		parts = append(parts, fmt.Sprintf("%s = %s", hitl.PendingReviewersAttribute.GetName(), quote(reviewer)))
	}
	if h.opts.Filter != "" {
		parts = append(parts, "("+h.opts.Filter+")")
	}
	return strings.Join(parts, " AND "), nil
}

// quote makes s a visibility-query string literal.
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func (h *Handler) apiList(w http.ResponseWriter, r *http.Request, who grant) {
	list, _, err := h.readableList(r, who)
	if err != nil {
		h.writeError(w, err)
		return
	}
	h.writeJSON(w, http.StatusOK, map[string]any{"reviews": list})
}

// readableList lists the reviews of the request's filters that who may
// read, and how many could not be checked.
func (h *Handler) readableList(r *http.Request, who grant) ([]Summary, int, error) {
	q := r.URL.Query().Get("reviewer")
	if q == "me" {
		q = who.Reviewer
	}
	list, err := h.list(r.Context(), r.URL.Query().Get("status"), q)
	if err != nil {
		return nil, 0, err
	}
	out, unchecked := h.filterReadable(r.Context(), who, list)
	if unchecked > 0 {
		h.opts.Logger.Warn("hitlhttp: reviews left out of the list: their status could not be read", "count", unchecked)
	}
	if out == nil {
		out = []Summary{}
	}
	return out, unchecked, nil
}

// maxIDBytes is Temporal's default limit on workflow ids.
const maxIDBytes = 1000

// checkID refuses review ids no workflow can have before anything reaches
// Temporal.
func checkID(id string) error {
	if id == "" || len(id) > maxIDBytes || !utf8.ValidString(id) || strings.ContainsFunc(id, unicode.IsControl) {
		return fmt.Errorf("%w: a review id is 1 to %d bytes of UTF-8 without control characters", errBadRequest, maxIDBytes)
	}
	return nil
}

// review reads one review that who may read: status and rendered draft.
func (h *Handler) review(ctx context.Context, who grant, id string) (Review, error) {
	if err := checkID(id); err != nil {
		return Review{}, err
	}
	st, err := h.readable(ctx, who, id)
	if err != nil {
		return Review{}, err
	}
	raw, err := hitl.GetDraft[json.RawMessage](ctx, h.c, id)
	if err != nil {
		return Review{}, err
	}
	text, md, err := h.draftText(ctx, id, raw)
	if err != nil {
		return Review{}, err
	}
	return Review{WorkflowID: id, Status: st, Draft: text, markdown: md}, nil
}

// draftText renders a draft's raw JSON as text, and says whether it is
// Markdown (LoadDraft's text, a string, a DraftRef's head) or the JSON
// fallback (shown preformatted).
func (h *Handler) draftText(ctx context.Context, id string, raw json.RawMessage) (string, bool, error) {
	if h.opts.LoadDraft != nil {
		text, err := h.opts.LoadDraft(ctx, id, raw)
		return text, true, err
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true, nil
	}
	var ref hitl.DraftRef
	if json.Unmarshal(raw, &ref) == nil && ref.Key != "" && ref.SHA256 != "" {
		return fmt.Sprintf("%s\n\n[draft %s, %d bytes, sha256 %s: set Options.LoadDraft to show it in full]", ref.Head, ref.Key, ref.Size, ref.SHA256), true, nil
	}
	var b bytes.Buffer
	if json.Indent(&b, raw, "", "  ") != nil {
		return string(raw), false, nil
	}
	return b.String(), false, nil
}

func (h *Handler) apiGet(w http.ResponseWriter, r *http.Request, who grant) {
	rv, err := h.review(r.Context(), who, r.PathValue("id"))
	if err != nil {
		h.writeError(w, err)
		return
	}
	if vs, err := hitl.GetVersions(r.Context(), h.c, rv.WorkflowID); err == nil {
		rv.Versions = vs
	}
	h.writeJSON(w, http.StatusOK, rv)
}

func (h *Handler) apiDecide(w http.ResponseWriter, r *http.Request, who grant) {
	var d hitl.Decision
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes))
	if err == nil {
		err = json.Unmarshal(body, &d)
	}
	if err != nil {
		h.writeError(w, fmt.Errorf("%w: the body must be a JSON decision of at most %d bytes: %w", errBadRequest, h.opts.MaxBodyBytes, err))
		return
	}
	rc, err := h.decide(r.Context(), who, r.PathValue("id"), d)
	if err != nil {
		h.writeError(w, err)
		return
	}
	h.writeJSON(w, http.StatusOK, map[string]any{"receipt": rc})
}

// decide sends d on behalf of who, to a review who may read: the body's
// reviewer field never overrides the identity, and a review who cannot
// see answers 404 before the workflow is asked.
func (h *Handler) decide(ctx context.Context, who grant, id string, d hitl.Decision) (hitl.Receipt, error) {
	d, err := h.checkDecision(ctx, who, id, d)
	if err != nil {
		return hitl.Receipt{}, err
	}
	return hitl.Decide(ctx, h.c, id, d)
}

// submit is decide without waiting for the decision to apply (the review
// page's edits: the page then shows the revision being written).
func (h *Handler) submit(ctx context.Context, who grant, id string, d hitl.Decision) error {
	d, err := h.checkDecision(ctx, who, id, d)
	if err != nil {
		return err
	}
	return hitl.Submit(ctx, h.c, id, d)
}

// checkDecision names who as d's reviewer once who may read review id.
func (h *Handler) checkDecision(ctx context.Context, who grant, id string, d hitl.Decision) (hitl.Decision, error) {
	if d.Reviewer != "" && d.Reviewer != who.Reviewer {
		return d, &hitl.DecisionError{Type: hitl.ErrTypeUnauthorized,
			Message: fmt.Sprintf("hitlhttp: signed in as %q, the decision names %q: leave reviewer out of the body", who.Reviewer, d.Reviewer)}
	}
	if err := checkID(id); err != nil {
		return d, err
	}
	if _, err := h.readable(ctx, who, id); err != nil {
		return d, err
	}
	d.Reviewer = who.Reviewer
	return d, nil
}
