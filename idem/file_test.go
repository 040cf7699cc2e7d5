package idem_test

import (
	"context"
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
	var rec struct {
		Key     string          `json:"key"`
		State   string          `json:"state"`
		Outcome json.RawMessage `json:"outcome"`
	}
	require.NoError(t, json.Unmarshal(b, &rec))
	assert.Equal(t, "draft:doc-1:2", rec.Key)
	assert.Equal(t, "completed", rec.State)
	assert.JSONEq(t, `{"result":{"doc_id":"doc-1","version":2,"draft":"text"}}`, string(rec.Outcome))
}

func TestFileStoreCorruptRecordIsAnError(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := idem.NewFileStore(dir)
	require.NoError(t, err)
	req := idem.ClaimRequest{Key: "k", Fingerprint: "fp", Owner: "a", Lease: time.Minute, TTL: time.Hour}
	_, err = s.Claim(ctx, req)
	require.NoError(t, err)
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	require.NoError(t, os.WriteFile(files[0], []byte(`{"key":"k",`), 0o600))
	_, err = s.Claim(ctx, req)
	require.Error(t, err)
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
