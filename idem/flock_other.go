//go:build !unix

package idem

import "errors"

const flockSupported = false

func flock(string) (func(), error) {
	return nil, errors.New("idem: flock is not supported on this platform")
}
