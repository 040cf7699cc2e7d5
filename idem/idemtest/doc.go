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
// decision.
package idemtest
