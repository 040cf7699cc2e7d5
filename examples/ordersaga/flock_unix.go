//go:build unix

package ordersaga

import (
	"os"
	"syscall"
)

// flock takes an exclusive flock(2) on path (created when missing) and
// returns the function that releases it. The kernel releases it too when the
// process dies, so a crash never leaves the store locked.
func flock(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}, nil
}
