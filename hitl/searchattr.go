package hitl

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// ErrSearchAttributes is matched with errors.Is by the
// [*SearchAttributesError] of [CheckSearchAttributes] and [Open].
var ErrSearchAttributes = errors.New("hitl: search attributes not registered")

// SearchAttributesError says which of [SearchAttributes] a namespace lacks
// (or holds with another type) and how to register them. Until they exist,
// a review that upserts them (the default) stays Running with a failing
// workflow task; it resumes by itself once they are registered.
type SearchAttributesError struct {
	// Missing names the attributes the namespace lacks.
	Missing []string
	// Err is the error that revealed them ([Open]'s), or nil.
	Err error
}

// Error names each missing attribute and the call or CLI command that
// registers it.
func (e *SearchAttributesError) Error() string {
	var named []string
	var cmds []string
	byType := map[enums.IndexedValueType][]string{}
	var types []enums.IndexedValueType
	for _, k := range SearchAttributes() {
		if !slices.Contains(e.Missing, k.GetName()) {
			continue
		}
		t := k.GetValueType()
		named = append(named, fmt.Sprintf("%s (%s)", k.GetName(), t))
		if _, seen := byType[t]; !seen {
			types = append(types, t)
		}
		byType[t] = append(byType[t], "--name "+k.GetName())
	}
	for _, t := range types {
		cmds = append(cmds, fmt.Sprintf("`temporal operator search-attribute create --namespace <namespace> %s --type %s`", strings.Join(byType[t], " "), t))
	}
	var dev []string
	for _, k := range SearchAttributes() {
		dev = append(dev, fmt.Sprintf("--search-attribute %s=%s", k.GetName(), k.GetValueType()))
	}
	msg := fmt.Sprintf("hitl: the namespace lacks the search attributes %s that hitl.Run upserts: register them with "+
		"hitl.RegisterSearchAttributes(ctx, client, namespace), or %s, "+
		"or start a dev server with `temporal server start-dev %s` (durable.DevServerOptions.SearchAttributes = hitl.SearchAttributes()); "+
		"or set hitl.Config.DisableSearchAttributes. Reviews already started resume by themselves on a later workflow-task retry once they exist",
		strings.Join(named, ", "), strings.Join(cmds, " and "), strings.Join(dev, " "))
	if e.Err != nil {
		msg += " (" + e.Err.Error() + ")"
	}
	return msg
}

// Is matches [ErrSearchAttributes].
func (e *SearchAttributesError) Is(target error) bool { return target == ErrSearchAttributes }

// Unwrap returns the error that revealed the missing attributes.
func (e *SearchAttributesError) Unwrap() error { return e.Err }

// CheckSearchAttributes reports a [*SearchAttributesError] when the
// client's namespace lacks any of [SearchAttributes]. Call it where workers
// start, or before the first review ([Open] calls it when the review's
// workflow task failed on its search attributes). It runs in client code and needs only visibility access: it
// runs one ListWorkflow query per attribute, and the server refuses a
// query on an attribute it does not know.
func CheckSearchAttributes(ctx context.Context, c client.Client) error {
	var missing []string
	for _, k := range SearchAttributes() {
		_, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			PageSize: 1,
			Query:    fmt.Sprintf("%s = 'hitl-probe'", k.GetName()),
		})
		var invalid *serviceerror.InvalidArgument
		switch {
		case errors.As(err, &invalid):
			missing = append(missing, k.GetName())
		case err != nil:
			return fmt.Errorf("hitl: check search attribute %s: %w", k.GetName(), err)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return &SearchAttributesError{Missing: missing}
}
