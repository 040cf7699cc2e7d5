package idem

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
)

// Fingerprint is the input fingerprint [Wrap] records with a key: the
// SHA-256 (hex) of in's JSON encoding (as json.Marshal encodes it). Map keys
// are sorted by encoding/json, so equal inputs have equal fingerprints.
func Fingerprint(in any) (string, error) {
	var fp fingerprint
	if err := fp.of(in); err != nil {
		return "", err
	}
	return string(fp[:]), nil
}

// fingerprint is a [Fingerprint] that costs no allocation until it is
// made a string: compared with a record's as string(fp[:]), it needs none.
type fingerprint [2 * sha256.Size]byte

func (fp *fingerprint) of(in any) error {
	e := fingerprints.Get().(*fingerprinter)
	defer e.put()
	if err := e.enc.Encode(in); err != nil {
		return err
	}
	h := sha256.Sum256(bytes.TrimSuffix(e.buf.Bytes(), []byte{'\n'})) // Encode ends with a newline, Marshal does not
	hex.Encode(fp[:], h[:])
	return nil
}

// fingerprinter encodes inputs into a buffer reused across calls.
type fingerprinter struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var fingerprints = sync.Pool{New: func() any {
	e := &fingerprinter{}
	e.enc = json.NewEncoder(&e.buf)
	return e
}}

func (e *fingerprinter) put() {
	if e.buf.Cap() > 64<<10 { // do not keep a large input's buffer
		return
	}
	e.buf.Reset()
	fingerprints.Put(e)
}

// The recorded outcome is a JSON document, {"result": ...} or
// {"error": {"type": ..., "message": ..., "category": ...}}.
type failure struct {
	Type     string `json:"type"`
	Message  string `json:"message"`
	Category int    `json:"category,omitempty"`
}

func encodeOutcome[Out any](out Out, f *temporal.ApplicationError) ([]byte, error) {
	if f != nil {
		return json.Marshal(struct {
			Error failure `json:"error"`
		}{failure{Type: f.Type(), Message: f.Message(), Category: int(f.Category())}})
	}
	return json.Marshal(struct {
		Result Out `json:"result"`
	}{out})
}

// resultPrefix is how encodeOutcome begins a recorded result.
const resultPrefix = `{"result":`

func decodeOutcome[Out any](key string, b []byte) (Out, error) {
	// A result as encodeOutcome wrote it, {"result":<value>}, decodes
	// straight into Out without parsing the object around it (a quarter of
	// a small replay's decoding). When the inner bytes are not one JSON
	// value (a failure, other keys or spacing), the full decoding below
	// decides.
	if n := len(resultPrefix); len(b) > n+1 && string(b[:n]) == resultPrefix && b[len(b)-1] == '}' {
		var out Out
		if json.Unmarshal(b[n:len(b)-1], &out) == nil {
			return out, nil
		}
	}
	var o struct {
		Result Out      `json:"result"`
		Error  *failure `json:"error"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return o.Result, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("idem: recorded result of key %q does not decode into %T: %v: delete the record or wait for its TTL", key, o.Result, err),
			ErrTypeUnreadable, nil)
	}
	if o.Error != nil {
		var zero Out
		return zero, temporal.NewApplicationErrorWithOptions(o.Error.Message, o.Error.Type, temporal.ApplicationErrorOptions{
			NonRetryable: true, Category: temporal.ApplicationErrorCategory(o.Error.Category),
		})
	}
	return o.Result, nil
}

// Owners are unique per call: host, process, process start and a counter.
var (
	ownerPrefix = func() string {
		host, _ := os.Hostname()
		return host + ":" + strconv.Itoa(os.Getpid()) + ":" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"
	}()
	ownerSeq atomic.Uint64
)

func newOwner() string {
	return ownerPrefix + strconv.FormatUint(ownerSeq.Add(1), 10)
}

func logger(ctx context.Context) log.Logger {
	if activity.IsActivity(ctx) {
		return activity.GetLogger(ctx)
	}
	return log.NewStructuredLogger(slog.Default())
}
