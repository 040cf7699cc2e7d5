package hitlhttp

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"

	"github.com/durable-llm/durable-llm/hitl"
)

// SeenCookie remembers, per reviewer and review, the last version the
// review page showed, so the page can show what changed since. It holds
// hashes and version numbers only, is not signed (it only chooses which
// diff the page shows first) and is HttpOnly.
const SeenCookie = "hitl_seen"

const (
	seenEntries = 24         // reviews remembered per browser
	seenMaxAge  = 90 * 86400 // seconds
)

// seenKey identifies a (reviewer, review) pair in the cookie without
// naming either.
func seenKey(reviewer, id string) string {
	sum := sha256.Sum256([]byte(reviewer + "\x00" + id))
	return hex.EncodeToString(sum[:6])
}

// parseSeen reads the cookie's entries, newest first.
func parseSeen(r *http.Request) [][2]string {
	c, err := r.Cookie(SeenCookie)
	if err != nil {
		return nil
	}
	var out [][2]string
	for _, e := range strings.Split(c.Value, ".") {
		k, v, ok := strings.Cut(e, ":")
		if ok && len(k) == 12 && len(out) < seenEntries {
			out = append(out, [2]string{k, v})
		}
	}
	return out
}

// lastSeen is the last version of review id that reviewer was shown: the
// newer of what the cookie remembers and the version of their last
// decision in the audit trail. 0 means never.
func lastSeen(r *http.Request, reviewer, id string, st hitl.Status) int {
	seen := 0
	key := seenKey(reviewer, id)
	for _, e := range parseSeen(r) {
		if e[0] == key {
			if n, err := strconv.Atoi(e[1]); err == nil && n > 0 {
				seen = n
			}
			break
		}
	}
	for _, e := range st.Audit {
		if e.Reviewer == reviewer && e.Ignored == "" && e.Version > seen {
			seen = e.Version
		}
	}
	return min(seen, st.Version)
}

// markSeen records that reviewer was shown version of review id.
func (h *Handler) markSeen(w http.ResponseWriter, r *http.Request, reviewer, id string, version int) {
	key := seenKey(reviewer, id)
	entries := []string{key + ":" + strconv.Itoa(version)}
	for _, e := range parseSeen(r) {
		if e[0] != key && len(entries) < seenEntries {
			entries = append(entries, e[0]+":"+e[1])
		}
	}
	http.SetCookie(w, h.cookie(r, SeenCookie, strings.Join(entries, "."), seenMaxAge))
}
