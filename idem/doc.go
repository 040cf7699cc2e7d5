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
//	(none) --claim--> claimed (owner, lease, pending) --body returns--> completed (outcome) --TTL--> (none)
//	                     |  ^ renewed while the body runs
//	                     |  \--retryable failure or panic: released (or abandoned, see below)--> (none)
//	                     \--renewals stop (holder crashed): lease ends--> taken over by the next attempt
//
// and a call does what the record says ([Decide] is the rule every store
// applies):
//
//	record found                        the call
//	none, or past its TTL               claims it and runs the body
//	claimed, lease live                 returns ErrTypeInProgress (retryable, NextRetryDelay = remaining lease),
//	                                    or, if the holder missed a renewal, waits out the lease once and claims again
//	claimed, lease ended                takes it over with its pending data, reconciles (WithReconcile), runs the body
//	completed                           returns the recorded result or failure; the body does not run
//	live, another input fingerprint     returns ErrTypeKeyReused (non-retryable)
//
// Records live for [DefaultTTL] (24 h) after the claim, after each renewal
// and again after completion ([WithTTL]); make it longer than the
// activity's ScheduleToCloseTimeout and, for business keys, than any window
// in which a duplicate may arrive.
//
// # Leases and heartbeats
//
// A claim is held by a lease that its holder renews: while the body (or the
// reconcile hook) runs, Wrap extends the lease in the store every third of
// it and, in an activity with a HeartbeatTimeout, records a heartbeat
// ([WithHeartbeats]). The lease is [WithLease], else the activity's
// HeartbeatTimeout, else [DefaultLease] (30 s) or the attempt's remaining
// time when shorter (at least [MinLease]). A live holder keeps its key
// however long the body runs; a dead one stops renewing, and the next
// attempt takes the key over at most one lease after the last renewal.
//
// The rules that keep this safe:
//
//   - The owner of a claim is a fencing token, unique per call. The store
//     refuses every write after the claim (renewal, pending data, outcome,
//     release) whose owner no longer holds the key ([ErrNotOwner]), so a
//     holder that lost its key cannot overwrite the new owner's record.
//   - When a renewal is refused (another attempt took the key over), or
//     fails so that the lease could end before the next try, the body's
//     context is cancelled with cause [ErrLeaseLost]. Stop the side effect
//     then: the store will not record your outcome over another owner's.
//     An error returned after the loss becomes [ErrTypeLeaseLost]
//     (retryable). A body that ignores the cancellation keeps its lease as
//     long as the store accepts renewals.
//   - Renewals run on a context detached from the activity's, so a
//     cancelled activity whose body is still running keeps its key until
//     the body returns.
//   - Wrap's heartbeats carry the details last given to [Heartbeat]. A
//     heartbeat replaces the details the server holds, so inside a wrapped
//     body report progress with [Heartbeat], not activity.RecordHeartbeat,
//     or turn Wrap's heartbeats off with WithHeartbeats(false).
//
// # What a crash costs
//
//	event                                        what the next attempt does, and when
//	worker process killed during the body        takes the key over once the lease ends: with a HeartbeatTimeout,
//	                                             within the HeartbeatTimeout plus the retry backoff of the kill
//	                                             (the server retries after the HeartbeatTimeout; a retry that finds
//	                                             the lease still running waits out the rest in the same attempt);
//	                                             without one, after the StartToCloseTimeout plus the backoff
//	worker killed after the body, before         returns the recorded outcome at the first retry; the body does
//	Temporal got the result                      not run again
//	store unreachable while the body runs        the body is cancelled (ErrLeaseLost) before its lease could end;
//	                                             retries fail with ErrTypeStore until the store is back
//	host power loss, FileStore                   outcomes and pending data survive (fsynced); claims may not, and a
//	                                             retry that finds no record reconciles first (see Reconciliation)
//	database crash, PostgresStore                every write is a synchronous commit: nothing acknowledged is lost
//
// The dev-server test TestKilledHolderIsTakenOverAfterItsHeartbeatTimeout
// kills a worker process holding a key, with a 2 s HeartbeatTimeout and a
// 100 ms backoff: the retry took the key over about 2.0 to 2.1 s after the
// kill (it was minutes when the lease was fixed).
//
// # Resumable paid effects
//
// Some effects can be resumed rather than bought again: a provider's
// background generation (OpenAI's Responses API in background mode) has an
// id that a later attempt can retrieve or stream from. Record that id under
// the key as soon as you have it, with [SetPending], before waiting for the
// effect; an attempt that takes the key over reads it with [Pending]:
//
//	bg, ok, err := idem.Pending[Background](ctx)
//	if ok { // a previous attempt started it: resume by id
//		return retrieve(ctx, bg.ResponseID)
//	}
//	resp := create(ctx, req) // paid from here on
//	if err := idem.SetPending(ctx, Background{ResponseID: resp.ID}); err != nil {
//		cancel(resp.ID)
//		return nil, err
//	}
//	return wait(ctx, resp.ID)
//
// SetPending writes durably and is fenced like every write after the claim.
// The pending data survives renewals, takeovers and abandonment, reaches
// the reconcile hook, and is cleared when the outcome is recorded. With
// pending data recorded, a retryable failure of the body abandons the claim
// instead of releasing it, so the next attempt takes it over and resumes.
// Only a crash between starting the effect and SetPending loses the id.
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
// result. The hook also runs when an attempt after the first finds no
// record, since a claim can be lost with its host (see [FileStore]). With a
// hook, a retryable failure of the body abandons the claim ([Store.Abandon])
// instead of releasing it, so the next attempt reconciles too.
//
// # Stores
//
//   - [MemoryStore]: a map, for tests and single-process programs.
//   - [FileStore]: JSON files, flock(2) between processes on one host; a
//     replay reads one file without locking; a first call creates one file
//     and forces two fsyncs (the outcome and its directory entry), claims
//     and renewals are not forced to disk.
//   - [PostgresStore]: a table ([PostgresSchema]) for workers on several
//     hosts; a claim reads first (a replay is one SELECT) and writes only
//     when the key is free, with one conditional INSERT ... ON CONFLICT
//     statement; time is the database's now().
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
// [ErrTypeLeaseLost] and [ErrTypeStore] (retryable), [ErrTypeInvalid] and
// [ErrTypeUnreadable] (non-retryable). Match them with [IsKeyReused],
// [IsInProgress], [IsLeaseLost] and [IsStore], which see through the
// [temporal.ActivityError] a workflow receives. NextRetryDelay overrides the
// retry policy's backoff and is not capped by its MaximumInterval, so an
// in-progress attempt waits exactly for the lease; it still counts against
// MaximumAttempts, so an activity that may wait on a live holder (a
// duplicate business key) needs attempts for one lease each.
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
// [github.com/durable-llm/durable-llm/idem/idemtest.RunStoreTests] (claims,
// renewal, expiry once renewals stop, fencing, pending data, and the same
// seen through Wrap), and a manual clock. This package's tests run the
// suite for all three stores (PostgreSQL from IDEM_POSTGRES_DSN, default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable, one table per
// test; skipped when unreachable unless DURABLE_INTEGRATION=1), show
// retries returning the recorded result and Wrap's heartbeats keeping an
// attempt alive in the testsuite environment, and on a real dev server: a
// worker process SIGKILLed while holding a key (taken over after the
// heartbeat timeout, the pending generation resumed, one bought), a worker
// killed after the side effect (the retry returns the recorded result), a
// worker killed mid-call (reconciled), a live holder keeping its key across
// retries, in-progress retries, and the default key across retries
// (stable), continue-as-new (distinct) and reset (distinct; business keys
// survive).
//
//	DURABLE_INTEGRATION=1 go test -race ./idem/...
//
// # Performance
//
// The benchmarks compare each wrapped call with the raw store operation it
// wraps: a replay with reading a recorded result by key and decoding it, a
// first call with encoding a result and storing it durably by key
// (bench_test.go describes the baselines; docs/BENCHMARKS.md has the
// figures):
//
//	go test ./idem -run '^$' -bench . -benchmem -count 6 | benchstat -
//
// A replay costs the store's read plus encoding the input for its
// fingerprint and decoding the result: about the read on the file and
// Postgres stores, where the read is I/O. A first call costs two writes
// where a result cache costs one, because the claim must exist before the
// side effect: the file store does not force the claim to disk (it can be
// re-derived, see above), so its first call forces what a durable write of
// the result alone forces; the Postgres store commits the claim durably, so
// its first call is two synchronous commits to the raw write's one.
// BenchmarkHandWritten measures, for reference, a hand-written call that
// also claims before its side effect (without fingerprint, lease or
// fencing). On the memory store, where a write is a map assignment, what a
// first call adds is idem's own work instead: the input's fingerprint, the
// record, the lease's renewal timer and the body's cancellable context.
package idem
