package idem_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/idem"
)

func TestFileStoreRecordIsReadableJSON(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := idem.NewFileStore(dir)
	require.NoError(t, err)
	draft := idem.Wrap(s, func(_ context.Context, v int) (map[string]any, error) {
		return map[string]any{"doc_id": "doc-1", "version": v, "draft": "text"}, nil
	}, idem.WithKey(func(_ context.Context, v int) (string, error) { return fmt.Sprintf("draft:doc-1:%d", v), nil }))
	_, err = draft(ctx, 2)
	require.NoError(t, err)

	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	b, err := os.ReadFile(files[0])
	require.NoError(t, err)
	// Two documents: the record, then its outcome.
	dec := json.NewDecoder(bytes.NewReader(b))
	var rec struct {
		Key   string `json:"key"`
		State string `json:"state"`
	}
	require.NoError(t, dec.Decode(&rec))
	var outcome json.RawMessage
	require.NoError(t, dec.Decode(&outcome))
	assert.Equal(t, "draft:doc-1:2", rec.Key)
	assert.Equal(t, "completed", rec.State)
	assert.JSONEq(t, `{"result":{"doc_id":"doc-1","version":2,"draft":"text"}}`, string(outcome))
	assert.False(t, dec.More())
}

// Records written by the previous version (one indented document, claims in
// the .json file) are still read: a recorded result replays, and an old
// claim is taken over once its lease ends.
func TestFileStoreReadsRecordsOfThePreviousVersion(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := idem.NewFileStore(dir)
	require.NoError(t, err)
	hash := func(k string) string {
		h := sha256.Sum256([]byte(k))
		return hex.EncodeToString(h[:])
	}
	exp := time.Now().Add(time.Hour).UTC().Format(time.RFC3339Nano)
	old := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339Nano)
	require.NoError(t, os.WriteFile(filepath.Join(dir, hash("done")+".json"), []byte(`{
  "key": "done",
  "fingerprint": "fp",
  "state": "completed",
  "owner": "old-worker",
  "expires_at": "`+exp+`",
  "outcome": {
    "result": "recorded"
  }
}
`), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, hash("held")+".json"), []byte(`{
  "key": "held",
  "fingerprint": "fp",
  "state": "claimed",
  "owner": "old-worker",
  "lease_until": "`+old+`",
  "expires_at": "`+exp+`"
}
`), 0o600))
	req := idem.ClaimRequest{Key: "done", Fingerprint: "fp", Owner: "new", Lease: time.Minute, TTL: time.Hour}
	c, err := s.Claim(ctx, req)
	require.NoError(t, err)
	assert.Equal(t, idem.ClaimDone, c.Status)
	assert.JSONEq(t, `{"result":"recorded"}`, string(c.Record.Outcome))

	req.Key = "held"
	c, err = s.Claim(ctx, req)
	require.NoError(t, err)
	require.Equal(t, idem.ClaimTakenOver, c.Status)
	assert.Equal(t, "old-worker", c.PreviousOwner)
	req.Owner = "other"
	c, err = s.Claim(ctx, req)
	require.NoError(t, err)
	assert.Equal(t, idem.ClaimBusy, c.Status, "the new claim holds")
	assert.Equal(t, "new", c.Record.Owner)
	require.NoError(t, s.Complete(ctx, "held", "new", []byte(`{"result":"new"}`), time.Hour))
	c, err = s.Claim(ctx, req)
	require.NoError(t, err)
	assert.Equal(t, idem.ClaimDone, c.Status)
	assert.JSONEq(t, `{"result":"new"}`, string(c.Record.Outcome))
}

func TestFileStoreCorruptRecordIsAnError(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := idem.NewFileStore(dir)
	require.NoError(t, err)
	req := idem.ClaimRequest{Key: "k", Fingerprint: "fp", Owner: "a", Lease: time.Minute, TTL: time.Hour}
	_, err = s.Claim(ctx, req)
	require.NoError(t, err)
	require.NoError(t, s.Complete(ctx, "k", "a", []byte(`{"result":1}`), time.Hour))
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	require.NoError(t, os.WriteFile(files[0], []byte(`{"key":"k",`), 0o600))
	req.Owner = "b"
	_, err = s.Claim(ctx, req)
	require.Error(t, err, "a recorded outcome is never cut by a crash: this one was damaged otherwise")
	assert.Contains(t, err.Error(), "delete the file")
}

// envHelperDir makes the test binary act as one of several processes sharing
// a FileStore (see TestFileStoreAcrossProcesses).
const envHelperDir = "IDEM_TEST_FILESTORE_DIR"

const helperKeys = 40

func TestFileStoreAcrossProcesses(t *testing.T) {
	if dir := os.Getenv(envHelperDir); dir != "" {
		fileStoreProcess(t, dir)
		return
	}
	dir := t.TempDir()
	const procs = 4
	var wg sync.WaitGroup
	outs := make([][]byte, procs)
	errs := make([]error, procs)
	for i := range procs {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^TestFileStoreAcrossProcesses$", "-test.count=1")
			cmd.Env = append(os.Environ(), envHelperDir+"="+dir)
			outs[i], errs[i] = cmd.CombinedOutput()
		})
	}
	wg.Wait()
	for i := range procs {
		require.NoError(t, errs[i], "process %d:\n%s", i, outs[i])
	}
	log, err := os.ReadFile(filepath.Join(dir, "side-effects.log"))
	require.NoError(t, err)
	lines := strings.Fields(string(log))
	assert.Len(t, lines, helperKeys, "every key's body ran exactly once across %d processes", procs)
	seen := map[string]bool{}
	for _, l := range lines {
		assert.False(t, seen[l], "key %s ran twice", l)
		seen[l] = true
	}
}

// fileStoreProcess runs in a child process: it calls a wrapped body for every
// key; the body appends the key to a shared log.
func fileStoreProcess(t *testing.T, dir string) {
	s, err := idem.NewFileStore(filepath.Join(dir, "store"))
	require.NoError(t, err)
	log, err := os.OpenFile(filepath.Join(dir, "side-effects.log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	require.NoError(t, err)
	defer func() { require.NoError(t, log.Close()) }()
	fn := idem.Wrap(s, func(_ context.Context, k int) (int, error) {
		_, err := fmt.Fprintf(log, "%d\n", k)
		return k, err
	}, idem.WithKey(func(_ context.Context, k int) (string, error) { return fmt.Sprint("k", k), nil }))
	for k := range helperKeys {
		out, err := fn(context.Background(), k)
		if err != nil {
			require.True(t, idem.IsInProgress(err), "key %d: %v", k, err)
			continue
		}
		require.Equal(t, k, out)
	}
}

// A claim is written without fsync; after a host crash its file may be
// empty, zero-filled or cut. That reads as no claim (the retry reconciles,
// see TestRetryAfterALostClaimReconciles), and Purge removes it.
func TestFileStoreClaimCutByAHostCrashIsNoRecord(t *testing.T) {
	ctx := context.Background()
	for name, content := range map[string][]byte{
		"empty":       {},
		"zero-filled": make([]byte, 180),
		"cut":         []byte(`{"key":"k","fingerprint":"fp","sta`),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := idem.NewFileStore(dir)
			require.NoError(t, err)
			req := idem.ClaimRequest{Key: "k", Fingerprint: "fp", Owner: "a", Lease: time.Minute, TTL: time.Hour}
			_, err = s.Claim(ctx, req)
			require.NoError(t, err)
			files, err := filepath.Glob(filepath.Join(dir, "*.claim"))
			require.NoError(t, err)
			require.Len(t, files, 1)
			require.NoError(t, os.WriteFile(files[0], content, 0o600))

			n, err := s.Purge(ctx)
			require.NoError(t, err)
			assert.Zero(t, n, "nothing expired")
			_, err = os.Stat(files[0])
			require.ErrorIs(t, err, os.ErrNotExist, "the cut claim is removed")

			require.NoError(t, os.WriteFile(files[0], content, 0o600))
			req.Owner = "b"
			c, err := s.Claim(ctx, req)
			require.NoError(t, err)
			assert.Equal(t, idem.ClaimNew, c.Status)
		})
	}
}

// Completing a claim with pending data writes the record and then deletes
// the claim file; if a host crash brings that claim back, the record wins.
func TestFileStoreRecordWinsOverAClaimACrashBroughtBack(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := idem.NewFileStore(dir)
	require.NoError(t, err)
	req := idem.ClaimRequest{Key: "k", Fingerprint: "fp", Owner: "a", Lease: time.Minute, TTL: time.Hour}
	_, err = s.Claim(ctx, req)
	require.NoError(t, err)
	require.NoError(t, s.SetPending(ctx, "k", "a", []byte(`{"id":"gen_1"}`)))
	claims, err := filepath.Glob(filepath.Join(dir, "*.claim"))
	require.NoError(t, err)
	require.Len(t, claims, 1)
	claim, err := os.ReadFile(claims[0])
	require.NoError(t, err)
	require.NoError(t, s.Complete(ctx, "k", "a", []byte(`{"result":"answer"}`), time.Hour))
	_, err = os.Stat(claims[0])
	require.ErrorIs(t, err, os.ErrNotExist)

	require.NoError(t, os.WriteFile(claims[0], claim, 0o600)) // the crash undid the delete
	req.Owner = "b"
	c, err := s.Claim(ctx, req)
	require.NoError(t, err)
	assert.Equal(t, idem.ClaimDone, c.Status)
	assert.JSONEq(t, `{"result":"answer"}`, string(c.Record.Outcome))
	require.ErrorIs(t, s.Renew(ctx, "k", "a", time.Minute, time.Hour), idem.ErrNotOwner, "the stale claim holds nothing")
}
