package supportagent

import (
	"go.temporal.io/sdk/client"

	"github.com/durable-llm/durable-llm/hitl/hitlhttp"
)

// ReviewPrefix is the path the reviewer pages and API are served under.
const ReviewPrefix = "/review"

// ReviewHandler serves the reviewers' pages and JSON API for the agent's
// approvals under [ReviewPrefix], listing only this example's reviews.
// auth identifies reviewers: hitlhttp.HeaderAuth (X-Reviewer header, or the
// demo login's cookie when demoLogin) is for demos and tests only; see
// examples/docapproval's worker for OpenID Connect and signed links.
func ReviewHandler(c client.Client, auth hitlhttp.Authenticator, demoLogin bool) (*hitlhttp.Handler, error) {
	return hitlhttp.New(c, hitlhttp.Options{
		Auth:      auth,
		Prefix:    ReviewPrefix,
		Filter:    "WorkflowType = 'agent.Approval'",
		DemoLogin: demoLogin,
	})
}
