//go:build !linux

package bench_test

import "os/exec"

// dieWithParent is a no-op where the kernel offers no parent-death signal;
// workers still stop when the test ends normally.
func dieWithParent(*exec.Cmd) {}
