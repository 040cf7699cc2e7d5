// Package idemlinks keeps the single use of hitlhttp's signed review links
// in an [idem.Store], so that every replica of the review handler refuses
// a link another replica already opened.
//
// hitlhttp's default [hitlhttp.MemoryLinkStore] remembers used links per
// process: behind a load balancer a link could open once per replica. Give
// every replica the same store the workers already share (the PostgreSQL
// store, or a file store on a shared disk):
//
//	links := idemlinks.New(pgStore)
//	h, err := hitlhttp.New(c, hitlhttp.Options{LinkStore: links, ...})
//
// What it guarantees: [Store.Redeem] answers true once per link id across
// every handler using the same store, for as long as the link is valid; a
// store error refuses the link (the reviewer is asked to sign in or to ask
// for a new link) rather than letting it open twice. Records expire with
// the link; [idem.Purger] frees their space.
//
// It is a separate package so that hitlhttp's importers do not build the
// idem stores' drivers unless they choose this store.
package idemlinks
