// Package idem makes "at most once" the default for Temporal activities whose
// side effect must not repeat: a paid LLM call, a card charge, an email.
//
// Temporal retries an activity whose worker died or whose result was lost. If
// the side effect already happened, a naive retry repeats it. [Wrap] turns an
// activity function into one that runs its body at most once per
// idempotency key and returns the recorded result on every later attempt,
// following the model of Stripe's idempotency keys and AWS Lambda Powertools'
// idempotency utility (in-progress records with leases, payload validation,
// expiry).
//
//	store, err := idem.NewFileStore("/var/lib/worker/idem")
//	...
//	w.RegisterActivityWithOptions(
//		idem.Wrap(store, acts.Charge, idem.WithKey(func(_ context.Context, o Order) (string, error) {
//			return "charge:" + o.ID, nil
//		})),
//		activity.RegisterOptions{Name: "Charge"})
//
// # The model
//
// Every call derives a key and an input fingerprint (SHA-256 of the input's
// JSON, [Fingerprint]) and claims the key in a [Store]. A record goes through
//
//	(none) --claim--> claimed (owner, lease) --body returns--> completed (outcome) --TTL--> (none)
//	                     |  \--retryable failure or panic, released--> (none)
//	                     \--lease ends (owner crashed)--> taken over by the next attempt
//
// and a call does what the record says ([Decide] is the rule every store
// applies):
//
//	record found                        the call
//	none, or past its TTL               claims it and runs the body
//	claimed, lease live                 returns ErrTypeInProgress (retryable, NextRetryDelay = remaining lease)
//	claimed, lease ended                takes it over, reconciles (WithReconcile), runs the body
//	completed                           returns the recorded result or failure; the body does not run
//	live, another input fingerprint     returns ErrTypeKeyReused (non-retryable)
//
// The lease must outlast one attempt: [WithLease] must exceed the activity's
// StartToCloseTimeout, or a slow but live attempt can be taken over and the
// body run twice. Without WithLease the lease is the attempt's remaining time
// (its context's deadline) plus [LeaseMargin] (10 s), so a retry after a
// crash waits at most as long as the dead attempt could have run; outside an
// activity it is [DefaultLease] (5 min). Records live for
// [DefaultTTL] (24 h) after the claim and again after completion
// ([WithTTL]); make it longer than the activity's ScheduleToCloseTimeout
// and, for business keys, than any window in which a duplicate may arrive.
//
// # Keys
//
// Without [WithKey] the key is [DefaultKey], "<run ID>/<activity ID>", as
// Temporal recommends. With it, a business key such as "charge:order-123".
//
//	event                     DefaultKey                             business key (WithKey)
//	retry of an attempt       same: recorded result, body not rerun  same
//	worker crash and restart  same                                   same
//	continue-as-new           new (new run ID): body runs again      same: recorded result
//	reset                     new (new run ID): body runs again      same: recorded result
//	another workflow          new                                    same, if it computes the same key
//
// Activity IDs are per-run sequence numbers ("1", "2", ...) that every run
// repeats, so workflow ID + activity ID would collide across continue-as-new;
// the run ID does not. A reset starts a new run: activities after the reset
// point run again under DefaultKey, which is what a reset usually means ("do
// it again"). When a reset or a second workflow must not repeat the side
// effect, use a business key. All wrapped activities that share a store share
// one key space, so put the kind of request in a business key.
//
// Inside the body [KeyFrom] returns the key: send it as the Idempotency-Key
// header to APIs that accept one, so that even a body that runs twice after a
// takeover is charged once.
//
// # Reconciliation
//
// A taken-over claim means the previous owner started the body and never
// recorded an outcome: the side effect may or may not have happened.
// [WithReconcile] sets a hook that asks the outside system (a payment lookup
// by key) before the body runs again; what it finds is recorded as the
// result. With a hook, a retryable failure of the body abandons the claim
// ([Store.Abandon]) instead of releasing it, so the next attempt reconciles
// too.
//
// # Stores
//
//   - [MemoryStore]: a map, for tests and single-process programs.
//   - [FileStore]: one JSON file per key, atomic writes (temporary file,
//     fsync, rename, fsync of the directory), flock(2) between processes on
//     one host.
//   - [PostgresStore]: a table ([PostgresSchema]) for workers on several
//     hosts; a claim is one INSERT ... ON CONFLICT DO UPDATE ... WHERE
//     (expired or lease ended) statement, plus a SELECT when the key is
//     held; time is the database's now().
//
// Every store passes the conformance suite in package idemtest, which a new
// store (Redis, DynamoDB) can run too. All stores take [WithClock], so tests
// move past leases and TTLs without sleeping. Expired records are ignored;
// [Purger] deletes them.
//
// # Determinism
//
// Everything here runs on the worker side, inside activities (or plain Go
// code with [WithKey]); nothing is called from workflow code, and workflows
// need no change to use a wrapped activity. Stores must not be shared with
// workflow code.
//
// # Retries and errors
//
// Wrapped activities return [temporal.ApplicationError]s, unwrapped, with the
// types [ErrTypeKeyReused] (non-retryable), [ErrTypeInProgress] (retryable,
// NextRetryDelay set to the remaining lease, benign category),
// [ErrTypeStore] (retryable), [ErrTypeInvalid] and [ErrTypeUnreadable]
// (non-retryable). Match them with [IsKeyReused], [IsInProgress] and
// [IsStore], which see through the [temporal.ActivityError] a workflow
// receives. NextRetryDelay overrides the retry policy's backoff and is not
// capped by its MaximumInterval, so an in-progress attempt waits exactly for
// the lease; it still counts against MaximumAttempts.
//
// A non-retryable failure of the body is recorded and returned to later
// calls (type, message and category, not details) unless
// WithRecordFailures(false) is given; a retryable failure releases the claim
// so the next attempt runs the body. Store failures after the body succeeded
// are logged and the result is still returned, since Temporal records it.
// Store methods return [ErrNotOwner] when the caller's claim was taken over.
//
// # Testing
//
// Package idemtest holds the store conformance suite,
// [github.com/durable-llm/durable-llm/idem/idemtest.RunStoreTests], and a
// manual clock. This package's tests run the suite for all three stores
// (PostgreSQL from IDEM_POSTGRES_DSN, default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable, one table per
// test; skipped when unreachable unless DURABLE_INTEGRATION=1), show retries
// returning the recorded result in the testsuite environment, and on a real
// dev server: a worker killed after the side effect and before the activity
// completed (the retry returns the recorded result; one charge), a worker
// killed mid-call (reconciled; one charge), an in-progress claim retried
// after its lease, and the default key across retries (stable),
// continue-as-new (distinct) and reset (distinct; business keys survive).
//
//	DURABLE_INTEGRATION=1 go test -race ./idem/...
//
// # Performance
//
// What the wrapper adds per call, measured with a small struct in and out on
// a shared 2-core Xeon VM under load (load average 6 to 8, so figures vary
// between runs; the ranges are from three runs):
//
//	go test ./idem -run '^$' -bench . -benchmem -benchtime 2000x
//
//	store     call                             ns/op                allocs/op
//	memory    first call (claim, run, record)  3,400 - 4,000            16
//	memory    replay (recorded result)         4,000 - 4,600            16
//	file      first call (two fsynced writes)  4.8 - 6.2 ms             94
//	file      replay                           29,000 - 34,000          45
//	postgres  first call (two statements)      0.36 - 0.62 ms           42
//	postgres  replay (two statements)          0.27 - 2.8 ms            49
//	unwrapped body, for reference              21 - 34                   0
//	SDK payload decode + encode of the call    2,500 - 3,800            15
//
// The memory store's few microseconds are mostly JSON encoding (the input's
// fingerprint, the result), the same order as the SDK's own payload
// conversion of every activity call; the file and Postgres stores cost their
// I/O (fsync, round trips to a local server), small beside a remote call
// worth protecting.
package idem
