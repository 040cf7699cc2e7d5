package bench_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestSmoke runs the measurements of TestReport at their smallest: one review
// round of each flow and their history sizes. It proves the harness works;
// it asserts no figure beyond "positive".
func TestSmoke(t *testing.T) {
	b := newBench(t)
	for _, f := range []flow{baselineFlow, libraryFlow} {
		t.Run(f.name, func(t *testing.T) {
			none, one := roundCost(t, b, f, 1)
			assert.Positive(t, none.Events)
			assert.Greater(t, one.Events, none.Events, "a review round adds events")
			assert.Greater(t, one.Bytes, none.Bytes+draftBytes, "a review round records at least the 20 KB revision")
			t.Logf("%s: 0 rounds %+v; 1 round %+v", f.name, none, one)
		})
	}
}
