// Package hitlhttp is an [http.Handler] for the reviewers of hitl reviews:
// a JSON API and a small HTML interface (html/template, one same-origin
// stylesheet, no script except one same-origin file for the live view)
// over the hitl client helpers, safe to expose: real sign-in, signed review
// links, read access, cross-origin protection and a strict
// Content-Security-Policy.
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
// {prefix}/api/reviews/{id} returns the [hitl.Status], the draft and the
// versions ([hitl.VersionInfo]); POST {prefix}/api/reviews/{id}/decisions
// takes a [hitl.Decision] and returns its [hitl.Receipt]. {prefix}/ and
// {prefix}/reviews/{id} are the HTML list and review pages. Every input
// has a label and every button an id (approve, edit, request-changes,
// reject, stop, redirect, compare, continue, signout, login), so the pages
// work from the keyboard and are easy to drive from a headless browser.
//
// # The review page
//
// The review page shows:
//
//   - the draft rendered from Markdown (raw HTML dropped, links limited to
//     http, https, mailto and relative ones, images shown as links), its
//     raw text one click away, and any version with ?version=N;
//   - what changed since the version this reviewer last saw (remembered
//     per reviewer and review in the [SeenCookie], or taken from their last
//     decision), or between any two kept versions (?from=N&to=M, the
//     compare form): a line diff with the words changed inside each line;
//   - per version, who asked for it, its instructions, the model, tokens
//     and cost (from hitl's version history: drafts implementing
//     [hitl.Generated]);
//   - the stage's deadline as a date and as time left, and who still has
//     to approve;
//   - with [Options.Live], the version being written, as the model writes
//     it, and with [Options.Steer], buttons to stop or redirect it;
//   - the decision forms and the audit trail.
//
// An edit posted from the page returns as soon as the review accepted it
// ([hitl.Submit]), so the reviewer sees the new version being written.
// The page is usable on a phone (tables scroll inside their own region).
//
// # Live revisions
//
// With [Options.Live], the review's workflow hosts a stream (package
// stream) and its Draft and Revise activities publish the model's answer
// to it (llm.Request.StreamTopic). While a version is written, the page
// shows the answer so far and loads live.js, a same-origin script that
// follows {prefix}/reviews/{id}/stream (the stream's Server-Sent Events,
// read with queries: nothing is written to the history and the review
// never waits for a reader) and reloads the page when the version exists.
// The stream answers only those who may read the review, and only
// Live.Topics. Without script the page reloads itself every five seconds
// while a version is written (or offers a reload link when the stop and
// redirect forms are shown, so typing is not lost). [Options.Steer]
// receives stop and redirect requests ([Steering]) from the reviewers who
// may decide in the current stage, from the page and from POST
// {prefix}/api/reviews/{id}/steer; forward them to the workflow (llm's
// steering update, for example).
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
// Cache-Control no-store. The one exception is a review page showing a
// version being written with [Options.Live]: it carries
// [ContentSecurityPolicyLive], which adds script-src 'self' and
// connect-src 'self' (the handler's own live.js and event stream; still
// no inline script, no eval, nothing from elsewhere). The draft (LLM
// output: untrusted) is rendered from Markdown without its raw HTML, with
// unsafe links reduced to their text, and its raw text and diffs are
// printed as escaped text; live.js writes text only. Every state-changing
// request goes through
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
// link refusals 400, 409 or 410; a stop or redirect while nothing is
// being written 409 ([ErrNotRevising]) (see [Status]). A POST is safe to retry
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
// the pages and review links against hitltest.Workflow, the live view and
// steering against a review that streams its revision, and oidcauth's
// tests run a local provider (oidcauth/oidcauthtest). The headless
// Chromium tests of the docapproval example drive the review page through
// each of its states and keep a screenshot of each.
package hitlhttp
