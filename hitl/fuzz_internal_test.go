package hitl

import (
	"testing"
	"unicode/utf8"
)

// FuzzSignalPayload feeds arbitrary signal payloads to the decoder a
// signal-only client reaches: it must never fail (a failure would make the
// SDK drop the signal silently), must classify every payload exactly one way,
// and must turn it into a decision of the signal's own action.
func FuzzSignalPayload(f *testing.F) {
	for _, s := range []string{`"add a summary"`, `{"reviewer":"bob","version":2}`, `42`, `null`, `[1,2]`, `{"action":"reject"}`, `"`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var p signalPayload
		if err := p.UnmarshalJSON(b); err != nil {
			t.Fatalf("UnmarshalJSON(%q) failed: %v", b, err)
		}
		kinds := 0
		if p.decision != nil {
			kinds++
		}
		if p.bad != "" {
			kinds++
		}
		if kinds > 1 {
			t.Fatalf("payload %q decoded as both a decision and garbage", b)
		}
		if p.bad != "" && utf8.RuneCountInString(p.bad) > 201 {
			t.Fatalf("ignored payload kept unclipped: %d runes", utf8.RuneCountInString(p.bad))
		}
		for _, a := range []Action{ActionEdit, ActionApprove} {
			if d := signalDecision(a, p); d.Action != a {
				t.Fatalf("signal %s produced a %q decision from %q", a, d.Action, b)
			}
		}
	})
}
