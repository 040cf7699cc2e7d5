package llm

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

var now = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func TestParseRetryAfter(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"2", 2 * time.Second, true},
		{" 2 ", 2 * time.Second, true},
		{"1.5", 1500 * time.Millisecond, true},
		{"0", 0, false},
		{"-1", 0, false},
		{"", 0, false},
		{"soon", 0, false},
		{"NaN", 0, false},
		{"Inf", 0, false},
		{"0x10", 0, false},
		{"1e12", maxHeaderDelay, true},
		{now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second, true},
		{now.Add(-30 * time.Second).Format(http.TimeFormat), 0, false},
		{"Sat, 01 Mar 2025 12:00:10 GMT", 10 * time.Second, true},
		{"Saturday, 01-Mar-25 12:00:10 GMT", 10 * time.Second, true}, // RFC 850
	}
	for _, tc := range cases {
		got, ok := parseRetryAfter(tc.in, now)
		assert.Equal(t, tc.ok, ok, "%q", tc.in)
		assert.Equal(t, tc.want, got, "%q", tc.in)
	}
}

func TestParseResetDuration(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"6m0s", 6 * time.Minute, true},
		{"20ms", 20 * time.Millisecond, true},
		{"1s", time.Second, true},
		{"1m30.5s", 90500 * time.Millisecond, true},
		{"0.5s", 500 * time.Millisecond, true},
		{"2", 2 * time.Second, true},
		{"1h", time.Hour, true},
		{"48h", maxHeaderDelay, true},
		{"0s", 0, false},
		{"-1s", 0, false},
		{"", 0, false},
		{"soon", 0, false},
		{"9999999999h", 0, false},
	}
	for _, tc := range cases {
		got, ok := parseResetDuration(tc.in)
		assert.Equal(t, tc.ok, ok, "%q", tc.in)
		assert.Equal(t, tc.want, got, "%q", tc.in)
	}
}

func TestRetryDelayOrder(t *testing.T) {
	h := http.Header{}
	h.Set("x-ratelimit-reset-requests", "6m0s")
	h.Set("x-ratelimit-reset-tokens", "20ms")
	d, ok := retryDelay(h, "tokens", now)
	assert.True(t, ok)
	assert.Equal(t, 20*time.Millisecond, d, "a tokens limit waits for the tokens reset")
	d, _ = retryDelay(h, "requests", now)
	assert.Equal(t, 6*time.Minute, d)
	d, _ = retryDelay(h, "", now)
	assert.Equal(t, 6*time.Minute, d, "unknown limit: the longer reset")
	h.Set("retry-after", "3")
	d, _ = retryDelay(h, "tokens", now)
	assert.Equal(t, 3*time.Second, d, "retry-after wins over the reset headers")
	h.Set("retry-after-ms", "250")
	d, _ = retryDelay(h, "tokens", now)
	assert.Equal(t, 250*time.Millisecond, d, "retry-after-ms wins over retry-after")
	_, ok = retryDelay(nil, "", now)
	assert.False(t, ok)
}

// The parsers read untrusted headers: they must never panic and must only
// report positive delays no longer than maxHeaderDelay.

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"2", "1.5", "-1", "Sat, 01 Mar 2025 12:00:10 GMT", "1e308", "NaN", "", " 7 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := parseRetryAfter(s, now)
		checkDelay(t, s, d, ok)
	})
}

func FuzzParseRetryAfterMS(f *testing.F) {
	for _, s := range []string{"1500", "0.5", "-3", "1e400", "abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := parseRetryAfterMS(s)
		checkDelay(t, s, d, ok)
	})
}

func FuzzParseResetDuration(f *testing.F) {
	for _, s := range []string{"6m0s", "20ms", "1s", "1m30.5s", "2", "-1s", "9999999999h", "1.5h30m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := parseResetDuration(s)
		checkDelay(t, s, d, ok)
	})
}

func FuzzParseErrorBody(f *testing.F) {
	for _, s := range []string{`{"error":"x"}`, `{"error":{"code":1,"message":"m"}}`, `{"detail":"d"}`, "plain", `[1,2]`, `{"error":null}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _, msg := parseErrorBody([]byte(s))
		if len(msg) > 303 {
			t.Fatalf("message not truncated: %d bytes", len(msg))
		}
	})
}

func FuzzParseContextLimits(f *testing.F) {
	f.Add("This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.")
	f.Add("maximum context length is 99999999999999999999 tokens")
	f.Fuzz(func(t *testing.T, s string) {
		limit, requested := parseContextLimits(s)
		if limit < 0 || requested < 0 {
			t.Fatalf("negative limits %d %d", limit, requested)
		}
	})
}

func checkDelay(t *testing.T, in string, d time.Duration, ok bool) {
	t.Helper()
	if ok && (d <= 0 || d > maxHeaderDelay) {
		t.Fatalf("%q: delay %v out of (0, %v]", in, d, maxHeaderDelay)
	}
	if !ok && d != 0 {
		t.Fatalf("%q: not ok but delay %v", in, d)
	}
}
