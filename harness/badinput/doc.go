// Package badinput is a test-only catalogue of bad inputs across the
// library and its examples. It has no exported API: everything lives in
// catalogue_test.go.
//
// # Overview
//
// TestCatalogue runs one table of cases. Each case names the package under
// test, feeds it one bad input (an empty or oversized prompt, an unknown
// model, a malformed structured answer, a garbage Retry-After header, an
// unauthorized or stale review decision, a double approval, a decision
// after the review closed, an idempotency key reused with another payload,
// a negative amount, an empty order, a path-like document id, ...), checks
// that the typed error it returns matches the package's IsX helper or
// sentinel, and then checks that no state was lost or corrupted: the review
// status and audit count are unchanged, the idempotency record still holds
// the first result, the order store holds no reservation or charge, no LLM
// request was billed, no file was written.
//
// TestHTTPAttackCatalogue attacks the reviewer surface (hitlhttp with
// OpenID Connect sign-in, signed sessions and review links) on a real dev
// server: forged identities (a claimed header, foreign, expired, unsigned
// or other-audience tokens, forged or repurposed session cookies),
// replayed, expired, tampered, foreign, stale and misdirected review
// links, cross-site posts, oversized and malformed bodies, path tricks in
// review ids, and decisions for a review outside the session. Each case
// asserts its status code and error type, that no session was opened, and
// that neither review's version, phase, approvals or audit count changed.
//
// TestAgentCatalogue holds package agent's cases: an unknown tool,
// arguments that are not JSON or do not match the tool's schema, a tool's
// refusal (final and recorded), a call that needs approval without one, an
// approval for other arguments, an approval after its expiry, an edit that
// is not JSON, a call key reused for other arguments, and a model that
// loops; each checks the typed error (or the loop's stop) and that no
// refund ran more than once.
//
// TestAPIKeyNeverInHistory runs LLM calls whose provider errors echo the API
// key through a workflow on a real dev server, with no payload codec, and
// asserts that the key appears nowhere in the raw history bytes. Its "short"
// subtest is skipped: package llm masks a configured key only when it has at
// least 8 characters, so a shorter key echoed by a provider does reach the
// history.
//
// # Determinism
//
// The workflows defined by the tests only schedule activities and read
// their results; every clock, network and file access happens in activities
// or in test code.
//
// # Retries and errors
//
// Every case asserts a typed error: a *temporal.ApplicationError type
// through the package's IsX helper, or a sentinel through errors.Is. Text
// matching is used only where a package returns an untyped error (durable's
// key ring and configuration parsing), and the cases say so.
//
// # Testing
//
// Workflow cases run on go.temporal.io/sdk/testsuite, activity cases on
// its activity environment, HTTP cases on httptest, and the history check
// on the dev server of [github.com/durable-llm/durable-llm/durable/durabletest].
// Run them with
//
//	cd harness && DURABLE_INTEGRATION=1 go test ./badinput/...
package badinput
