// Package idemtest checks [idem.Store] implementations and gives tests a
// clock they can move.
//
// Every store runs the same conformance suite:
//
//	func TestMyStore(t *testing.T) {
//		idemtest.RunStoreTests(t, func(t *testing.T, opts ...idem.StoreOption) idem.Store {
//			return mystore.New(t.TempDir(), opts...)
//		})
//	}
//
// The suite passes [idem.WithClock] with a [Clock] it controls, so leases and
// TTLs expire without sleeping: the store must use that clock for every
// decision, renewals included.
//
// Besides claims and their transitions it checks the lease contract that
// [idem.Wrap] relies on: a renewal extends the lease from its own time and
// only for the holder, the key is taken over exactly one lease after the
// last renewal, a holder whose key was taken over cannot write anything
// (renewal, pending data, outcome, release), a renewal racing takeovers
// loses to exactly one taker or wins against all, and pending data reaches
// every takeover until the outcome is recorded. Its Wrap cases renew in
// real time with a 90 ms lease: a live holder keeps its key for three
// leases, a holder whose key was taken over has its body cancelled with
// [idem.ErrLeaseLost] and its outcome refused, and a takeover resumes from
// the previous owner's pending data.
package idemtest
