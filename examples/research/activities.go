package research

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
)

// Registered names of the activities (the method names).
const (
	ActivityRenderReport = "RenderReport"
	ActivityNotify       = "Notify"
)

// DefaultOutDir is where reports go when [Activities.OutDir] is empty.
const DefaultOutDir = "reports"

// NotificationsLog is the file name of the notification log in the output
// directory, used when [Activities.NotifyLog] is empty.
const NotificationsLog = "notifications.jsonl"

// Activities are the worker side of the example: rendering and notifying.
// Set the fields before registering it with [Register] and do not change
// them while the worker runs. It is safe for concurrent use.
type Activities struct {
	// OutDir is the directory the PDFs are written to. Empty means
	// [DefaultOutDir] in the worker's working directory.
	OutDir string
	// NotifyLog is the JSON Lines file Notify appends to. Empty means
	// [NotificationsLog] in OutDir. Ignored when WebhookURL is set.
	NotifyLog string
	// WebhookURL, when set, makes Notify POST the notification as JSON to
	// this URL instead of appending it to the log.
	WebhookURL string
	// HTTPClient posts to the webhook. Nil means http.DefaultClient (the
	// activity's deadline bounds the call).
	HTTPClient *http.Client
	// FailNotify makes every Notify attempt fail with a retryable
	// [ErrTypeNotifyUnavailable] error: a notification service that is
	// down, or a worker deployed with a bug. Start a worker without it and
	// the waiting workflows complete.
	FailNotify bool

	mu sync.Mutex // serialises appends to the log
}

// RenderInput is the input of [Activities.RenderReport].
type RenderInput struct {
	// Title is the report title.
	Title string
	// Markdown is the report body.
	Markdown string
	// Meta is printed on the title page.
	Meta Meta
}

// Rendered is the result of [Activities.RenderReport]: where the PDF is,
// not its bytes.
type Rendered struct {
	// Path is the absolute path of the PDF.
	Path string
	// Bytes is its size.
	Bytes int64
	// SHA256 is the hex SHA-256 of its content.
	SHA256 string
}

// RenderReport renders the report with [RenderPDF] and writes it to
// OutDir, named after the workflow ID ([ReportPath]). The file is written to
// a temporary file and renamed, so readers never see half a PDF and a retry
// replaces the same file instead of adding one.
func (a *Activities) RenderReport(ctx context.Context, in RenderInput) (Rendered, error) {
	wfID := in.Meta.WorkflowID
	if activity.IsActivity(ctx) {
		wfID = activity.GetInfo(ctx).WorkflowExecution.ID
	}
	b, err := RenderPDF(in.Title, in.Markdown, in.Meta)
	if err != nil {
		return Rendered{}, temporal.NewNonRetryableApplicationError(
			"research: render the report of "+wfID+": "+err.Error(), ErrTypeRenderFailed, err)
	}
	dir, err := filepath.Abs(a.outDir())
	if err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	path := ReportPath(dir, wfID)
	if err == nil {
		err = writeFileAtomic(path, b)
	}
	if err != nil {
		return Rendered{}, temporal.NewApplicationErrorWithOptions(
			fmt.Sprintf("research: write the report to %s: %v; check the worker's -out directory", path, err),
			ErrTypeWriteFailed, temporal.ApplicationErrorOptions{Cause: err})
	}
	sum := sha256.Sum256(b)
	return Rendered{Path: path, Bytes: int64(len(b)), SHA256: hex.EncodeToString(sum[:])}, nil
}

func (a *Activities) outDir() string {
	if a.OutDir == "" {
		return DefaultOutDir
	}
	return a.OutDir
}

// ReportPath is the path of the PDF of a workflow in dir: the workflow ID
// with characters other than letters, digits, '.', '_' and '-' replaced,
// plus a short hash of the ID when anything was replaced, so two IDs never
// share a file.
func ReportPath(dir, workflowID string) string {
	var b strings.Builder
	for _, c := range workflowID {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-', c == '.':
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
	}
	name := b.String()
	if len(name) > 100 {
		name = name[:100]
	}
	if name != workflowID || name == "" || strings.HasPrefix(name, ".") {
		sum := sha256.Sum256([]byte(workflowID))
		name = strings.TrimLeft(name, ".") + "-" + hex.EncodeToString(sum[:4])
	}
	return filepath.Join(dir, name+".pdf")
}

// writeFileAtomic writes b to a temporary file next to path and renames it
// over path.
func writeFileAtomic(path string, b []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(b); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// Notification is the input of [Activities.Notify].
type Notification struct {
	// WorkflowID is the workflow whose report is ready.
	WorkflowID string
	// Topic is the research question.
	Topic string
	// PDFPath is where the report is.
	PDFPath string
	// SHA256 is the hex SHA-256 of the report.
	SHA256 string
	// Model is the model that wrote it.
	Model string
	// Tokens is what the research call used.
	Tokens int64
}

// Notified is the result of [Activities.Notify].
type Notified struct {
	// Channel says where the notification went: "log:<path>" or
	// "webhook:<url>".
	Channel string
	// Duplicate reports a notification already in the log from an earlier
	// attempt whose result was lost; it was not written again.
	Duplicate bool
}

// notice is one line of the notification log and the webhook's body.
type notice struct {
	Time           time.Time `json:"time"`
	IdempotencyKey string    `json:"idempotency_key"`
	WorkflowID     string    `json:"workflow_id"`
	Topic          string    `json:"topic"`
	PDF            string    `json:"pdf"`
	SHA256         string    `json:"sha256"`
	Model          string    `json:"model,omitempty"`
	Tokens         int64     `json:"tokens,omitempty"`
}

// Notify says that a report is ready: it POSTs JSON to WebhookURL with an
// Idempotency-Key header, or appends a JSON line to the notification log.
// The key is the workflow ID and run ID, the same for every attempt of one
// run, so the log gets one line per run even when an attempt's result was
// lost, and a webhook receiver can drop repeats.
func (a *Activities) Notify(ctx context.Context, n Notification) (Notified, error) {
	if a.FailNotify {
		return Notified{}, temporal.NewApplicationError(
			"research: notify: the notification service is unavailable (simulated: the worker runs with -fail-notify); "+
				"restart the worker without -fail-notify and the workflow completes", ErrTypeNotifyUnavailable)
	}
	key := n.WorkflowID
	if activity.IsActivity(ctx) {
		info := activity.GetInfo(ctx)
		key = info.WorkflowExecution.ID + "/" + info.WorkflowExecution.RunID
	}
	rec := notice{
		Time: time.Now().UTC(), IdempotencyKey: key, WorkflowID: n.WorkflowID, Topic: n.Topic,
		PDF: n.PDFPath, SHA256: n.SHA256, Model: n.Model, Tokens: n.Tokens,
	}
	if a.WebhookURL != "" {
		return a.post(ctx, rec)
	}
	return a.appendLog(rec)
}

func (a *Activities) logPath() string {
	if a.NotifyLog != "" {
		return a.NotifyLog
	}
	return filepath.Join(a.outDir(), NotificationsLog)
}

func (a *Activities) appendLog(rec notice) (Notified, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	path, err := filepath.Abs(a.logPath())
	if err != nil {
		return Notified{}, unavailable("resolve the notification log path", err)
	}
	out := Notified{Channel: "log:" + path}
	dup, err := logHas(path, rec.IdempotencyKey)
	if err != nil {
		return out, unavailable("read "+path, err)
	}
	if dup {
		out.Duplicate = true
		return out, nil
	}
	line, err := json.Marshal(rec)
	if err != nil {
		return out, unavailable("encode the notification", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return out, unavailable("create the log directory", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return out, unavailable("open "+path, err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		_ = f.Close()
		return out, unavailable("append to "+path, err)
	}
	if err := f.Close(); err != nil {
		return out, unavailable("close "+path, err)
	}
	return out, nil
}

// logHas reports whether the log at path holds a line with the key.
func logHas(path, key string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		var rec notice
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.IdempotencyKey == key {
			return true, nil
		}
	}
	return false, sc.Err()
}

func (a *Activities) post(ctx context.Context, rec notice) (Notified, error) {
	out := Notified{Channel: "webhook:" + a.WebhookURL}
	body, err := json.Marshal(rec)
	if err != nil {
		return out, unavailable("encode the notification", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return out, temporal.NewNonRetryableApplicationError(
			"research: notify: bad webhook URL "+a.WebhookURL+": "+err.Error()+"; fix the worker's -webhook flag",
			ErrTypeWebhookRejected, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", rec.IdempotencyKey)
	hc := a.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return out, unavailable("post to "+a.WebhookURL, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64*1024))
	_ = resp.Body.Close()
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return out, nil
	case code == http.StatusRequestTimeout, code == http.StatusTooManyRequests, code >= 500:
		return out, unavailable("post to "+a.WebhookURL, fmt.Errorf("status %s", resp.Status))
	default:
		return out, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("research: notify: the webhook %s refused the notification with status %s; fix the URL or the receiver",
				a.WebhookURL, resp.Status), ErrTypeWebhookRejected, nil)
	}
}

// unavailable is a retryable notification failure.
func unavailable(what string, err error) error {
	return temporal.NewApplicationErrorWithOptions("research: notify: "+what+": "+err.Error(),
		ErrTypeNotifyUnavailable, temporal.ApplicationErrorOptions{Cause: err})
}
