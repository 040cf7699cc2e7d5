package docapproval

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"go.temporal.io/sdk/client"

	"github.com/durable-llm/durable-llm/hitl/hitlhttp"
)

// ReviewFilter is the visibility filter that lists only this example's
// reviews on the hitlhttp page.
const ReviewFilter = "WorkflowType = '" + WorkflowName + "'"

// LoadDraft renders a [Document] (the raw JSON of the hitl draft query) for
// the hitlhttp page: a header line with doc_id, version, model and tokens,
// then the text. It is a hitlhttp.Options.LoadDraft.
func LoadDraft(_ context.Context, _ string, raw json.RawMessage) (string, error) {
	var d Document
	if err := json.Unmarshal(raw, &d); err != nil {
		return "", fmt.Errorf("docapproval: the draft is not a Document: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s v%d · %s · model %s · %d tokens so far\n\n", d.DocID, d.Version, d.Source, d.Model, d.Usage.TotalTokens())
	b.WriteString(d.Text)
	return b.String(), nil
}

// ReviewHandler returns the hitlhttp reviewer pages and JSON API for this
// example's reviews, with the demo header/cookie authenticator
// (hitlhttp.HeaderAuth) and its sign-in page. NOT FOR PRODUCTION: anyone
// can claim any reviewer name; pass your own hitlhttp.Options for that.
func ReviewHandler(c client.Client) (*hitlhttp.Handler, error) {
	return hitlhttp.New(c, hitlhttp.Options{
		Auth:      hitlhttp.HeaderAuth{},
		DemoLogin: true,
		Filter:    ReviewFilter,
		LoadDraft: LoadDraft,
	})
}
