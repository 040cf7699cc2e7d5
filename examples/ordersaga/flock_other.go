//go:build !unix

package ordersaga

// flock is a no-op where flock(2) is missing: the FileStore's mutex then
// serializes only the goroutines of one process.
func flock(string) (func(), error) { return func() {}, nil }
