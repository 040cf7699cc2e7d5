package llm

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxHeaderDelay bounds any delay read from a header before the configured
// clamp applies, so absurd values cannot overflow a time.Duration.
const maxHeaderDelay = 24 * time.Hour

// retryDelay reads the delay a provider asks for from its response headers,
// in the order OpenAI's own clients use: retry-after-ms, retry-after
// (seconds or an HTTP date), then x-ratelimit-reset-requests and
// x-ratelimit-reset-tokens. limitType is the 429's error type ("requests" or
// "tokens") and picks the matching reset header; otherwise the longer of the
// two is used. ok is false when no header gives a positive delay.
func retryDelay(h http.Header, limitType string, now time.Time) (time.Duration, bool) {
	if h == nil {
		return 0, false
	}
	if d, ok := parseRetryAfterMS(h.Get("retry-after-ms")); ok {
		return d, true
	}
	if d, ok := parseRetryAfter(h.Get("retry-after"), now); ok {
		return d, true
	}
	reqs, okReqs := parseResetDuration(h.Get("x-ratelimit-reset-requests"))
	toks, okToks := parseResetDuration(h.Get("x-ratelimit-reset-tokens"))
	switch {
	case limitType == "requests" && okReqs:
		return reqs, true
	case limitType == "tokens" && okToks:
		return toks, true
	case okReqs || okToks:
		return max(reqs, toks), true
	}
	return 0, false
}

// parseRetryAfterMS parses retry-after-ms: a number of milliseconds, possibly
// fractional.
func parseRetryAfterMS(v string) (time.Duration, bool) {
	f, ok := parseNumber(v)
	if !ok {
		return 0, false
	}
	return fromSeconds(f / 1000)
}

// parseRetryAfter parses retry-after: a number of seconds (possibly
// fractional, as some providers send) or an HTTP date, relative to now.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if f, ok := parseNumber(v); ok {
		return fromSeconds(f)
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now)
	if d <= 0 {
		return 0, false
	}
	return min(d, maxHeaderDelay), true
}

// parseResetDuration parses x-ratelimit-reset-*: a Go-style duration such as
// "6m0s", "20ms", "1s" or "1m30.5s", or a bare number of seconds.
func parseResetDuration(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if f, ok := parseNumber(v); ok {
		return fromSeconds(f)
	}
	if strings.HasPrefix(v, "-") {
		return 0, false
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, false
	}
	return min(d, maxHeaderDelay), true
}

// parseNumber parses a finite, non-negative decimal number.
func parseNumber(v string) (float64, bool) {
	v = strings.TrimSpace(v)
	if v == "" || strings.ContainsAny(v, "xXpP_") { // no hex floats or digit separators
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return 0, false
	}
	return f, true
}

// fromSeconds converts a non-negative number of seconds to a positive
// duration capped at maxHeaderDelay.
func fromSeconds(s float64) (time.Duration, bool) {
	if s <= 0 {
		return 0, false
	}
	if s >= maxHeaderDelay.Seconds() {
		return maxHeaderDelay, true
	}
	d := time.Duration(s * float64(time.Second))
	if d <= 0 {
		return 0, false
	}
	return d, true
}
