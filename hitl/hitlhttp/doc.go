// Package hitlhttp is an [http.Handler] for the reviewers of hitl reviews:
// a JSON API and a small HTML interface (html/template, no JavaScript, no
// external CSS) over the hitl client helpers.
//
// # Overview
//
//	h, err := hitlhttp.New(c, hitlhttp.Options{Auth: hitlhttp.HeaderAuth{}, Prefix: "/review", DemoLogin: true})
//	mux.Handle("/review/", h)
//
// GET {prefix}/api/reviews lists open reviews with a visibility query on the
// HITLStatus search attribute (?status=approved for closed ones,
// ?reviewer=me for those waiting for the caller); GET
// {prefix}/api/reviews/{id} returns the [hitl.Status] and the draft; POST
// {prefix}/api/reviews/{id}/decisions takes a [hitl.Decision] and returns
// its [hitl.Receipt]. {prefix}/ and {prefix}/reviews/{id} are the HTML list
// and review pages; the review page shows the draft, the audit trail and
// forms to approve, edit, request changes and reject. Every input is named
// and every button has an id (approve, edit, request-changes, reject,
// login), so the pages are easy to drive from a headless browser.
//
// # Identity
//
// An [Authenticator] supplies the reviewer of each request; the workflow
// authorizes that identity against its stages, and a body that names
// another reviewer is refused. [HeaderAuth] trusts the X-Reviewer header
// (or the cookie of the demo login page) and is for demos and tests only:
// anyone can claim any identity with it. In production, implement
// Authenticator over your session or an authenticating proxy's verified
// header, and protect the HTML forms against cross-site requests.
//
// # Retries and errors
//
// Refusals map to HTTP status codes with a JSON [ErrorBody]: stale version,
// closed review and duplicate approval are 409; unauthorized and unknown
// reviewer 403; empty edit and invalid decision 422; a missing identity
// 401; an unknown review 404 (see [Status]). A POST is safe to retry when
// the decision carries an "id": it becomes the update ID and the workflow
// applies it once. Each HTML form carries such an ID, so a double submit is
// applied once.
//
// # Determinism
//
// Nothing here runs in workflow code; the handler is client code and safe
// for concurrent use.
//
// # Testing
//
// Run it with net/http/httptest around a real client of a dev server
// (durable/durabletest); the package's integration tests drive the API and
// the pages against hitltest.Workflow.
package hitlhttp
