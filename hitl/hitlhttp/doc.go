// Package hitlhttp is an [http.Handler] for the reviewers of hitl reviews:
// a JSON API and a small HTML interface (html/template, no JavaScript, one
// same-origin stylesheet) over the hitl client helpers, safe to expose:
// real sign-in, signed review links, read access, cross-origin protection
// and a strict Content-Security-Policy.
//
// # Overview
//
// In production, verify your identity provider's tokens with package
// [github.com/durable-llm/durable-llm/hitl/hitlhttp/oidcauth] and sign
// sessions and links with a [KeyRing]:
//
//	p, err := oidcauth.New(ctx, oidcauth.Config{Issuer: iss, ClientID: id, ClientSecret: secret,
//		RedirectURL: "https://reviews.example.com/review/signin/callback"})
//	ring, err := hitlhttp.KeyRingFromEnv() // HITL_SIGNING_KEYS="k2:base64,k1:base64"
//	h, err := hitlhttp.New(c, hitlhttp.Options{Auth: p, SignIn: p.Login(), Keys: ring, Prefix: "/review"})
//	mux.Handle("/review/", h)
//
// Where notifications are sent (an activity), mint review links with the
// same ring: [Links.URL].
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
// continue, signout, login), so the pages are easy to drive from a
// headless browser.
//
// # Identity
//
// Each request's reviewer comes from, in order: the session cookie
// ([SessionCookie], signed with [Options.Keys]), then [Options.Auth] (a
// bearer token for API clients, or an authenticating proxy's header). A
// browser without a session is sent to [Options.SignIn] (oidcauth's
// OpenID Connect flow), which opens a session for every review it may
// read. A review link ([Links]) opens a session limited to its one review,
// once: the link's page only shows what it grants, and its button's POST
// uses it up, so a mail scanner fetching the link does not burn it. An
// expired, altered, used or out-of-date link gets a page saying so and
// what to do.
//
// [HeaderAuth] and [Options.DemoLogin] let anyone claim any identity: they
// are for demos and tests, and only when asked for.
//
// # Access
//
// Decisions are authorized by the workflow against its stages. Reads are
// authorized here by [Options.Access], [Participants] by default: a
// reviewer sees the reviews they take part in (any stage, escalations
// included). A review they may not read answers 404, like a missing one,
// in the list, the page, the API and for decisions.
//
// # Browser safety
//
// Every answer carries [ContentSecurityPolicy] (no script, no inline
// style, no framing, forms post to the handler only), nosniff,
// Referrer-Policy no-referrer (links never leak through Referer) and
// Cache-Control no-store. The draft (LLM output: untrusted) is printed as
// escaped text. Every state-changing request goes through
// [http.CrossOriginProtection]: a browser's cross-origin post is refused
// with 403 (Sec-Fetch-Site, else Origin), while API clients, which send
// neither, pass. Cookies are HttpOnly, SameSite=Lax, and Secure over HTTPS.
//
// # Retries and errors
//
// Refusals map to HTTP status codes with a JSON [ErrorBody]: stale version,
// closed review and duplicate approval are 409; unauthorized and unknown
// reviewer 403; empty edit and invalid decision 422; a missing or invalid
// identity 401; a cross-origin post 403; an unknown or hidden review 404;
// link refusals 400, 409 or 410 (see [Status]). A POST is safe to retry
// when the decision carries an "id": it becomes the update ID and the
// workflow applies it once. Each HTML form carries such an ID, so a double
// submit is applied once.
//
// # Determinism
//
// Nothing here runs in workflow code; the handler is client code and safe
// for concurrent use.
//
// # Testing
//
// Run it with net/http/httptest around a real client of a dev server
// (durable/durabletest); the package's integration tests drive the API,
// the pages and review links against hitltest.Workflow, and oidcauth's
// tests run a local provider (oidcauth/oidcauthtest).
package hitlhttp
