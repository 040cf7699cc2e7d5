package docapproval

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"go.temporal.io/sdk/temporal"

	"github.com/durable-llm/durable-llm/hitl"
)

// DefaultInlineBytes is the largest draft that travels inline in workflow
// history when [Config.InlineBytes] is 0. Larger drafts go to the
// [Drafts] store and history holds a [hitl.DraftRef] (key, hash, size,
// head): about 0.3 KB however long the text.
const DefaultInlineBytes = 2 << 10

// refHeadRunes bounds DraftRef.Head, which the review status shows as the
// excerpt.
const refHeadRunes = 80

// Drafts keeps the text of drafts passed by reference. Every worker of the
// task queue, and the review pages, must share it: a revision may run on
// another worker than the draft it revises.
type Drafts interface {
	// Put stores text under key durably before it returns. Keys name their
	// content (they hold its hash), so a second Put of a key may skip the
	// write.
	Put(ctx context.Context, key string, text []byte) error
	// Get returns the text under key, or an error matching
	// [ErrDraftNotFound].
	Get(ctx context.Context, key string) ([]byte, error)
}

// ErrDraftNotFound is matched (errors.Is) by the error [Drafts.Get]
// returns for a key it does not hold.
var ErrDraftNotFound = errors.New("docapproval: draft not in the store")

// ErrTypeDraftMissing is the application error type the revise and
// persist activities return when the text a reference names cannot be
// read from the [Drafts] store: retryable when it is missing or unreadable
// (a store not shared by every worker: share it and the retries find the
// text), non-retryable when the store holds other text under the key.
const ErrTypeDraftMissing = "DocApprovalDraftMissing"

// IsDraftMissing reports whether err is, or wraps, an [ErrTypeDraftMissing]
// application error.
func IsDraftMissing(err error) bool { return isType(err, ErrTypeDraftMissing) }

// loadForActivity is loadDraft with its error as the activity returns it.
func loadForActivity(ctx context.Context, d Drafts, ref *hitl.DraftRef) (string, error) {
	text, err := loadDraft(ctx, d, ref)
	switch {
	case err == nil:
		return text, nil
	case errors.Is(err, errHashMismatch):
		return "", temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeDraftMissing, nil)
	default:
		return "", temporal.NewApplicationError(err.Error(), ErrTypeDraftMissing)
	}
}

// errHashMismatch marks a text that is not the one its reference names.
var errHashMismatch = errors.New("docapproval: the draft store holds other text under the key")

// TextKey names the text of version of docID: <doc_id>_v<version>_<the
// first 16 hex digits of its SHA-256>. A retried call whose model answered
// differently gets another key, so a late writer never replaces the text a
// recorded reference points to.
func TextKey(docID string, version int, sha256Hex string) string {
	return docID + "_v" + strconv.Itoa(version) + "_" + sha256Hex[:16]
}

var reDraftKey = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*_v[0-9]+_[0-9a-f]{16}$`)

// FileDrafts is a [Drafts] store in a directory, one file per key
// (<key>.txt), written like the approved records: a temporary file,
// fsynced, linked to its name, and the directory fsynced, so a reference
// recorded in history never outlives its text in a crash. Put it on a disk
// every worker mounts. It is safe for concurrent use, also by several
// processes.
type FileDrafts struct {
	dir string
}

// NewFileDrafts returns a FileDrafts in dir, creating it when missing.
func NewFileDrafts(dir string) (*FileDrafts, error) {
	if strings.TrimSpace(dir) == "" {
		return nil, errors.New("docapproval: the draft store needs a directory")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("docapproval: create draft directory: %w", err)
	}
	return &FileDrafts{dir: dir}, nil
}

// Dir returns the store's directory.
func (s *FileDrafts) Dir() string { return s.dir }

func (s *FileDrafts) path(key string) (string, error) {
	if !reDraftKey.MatchString(key) {
		return "", fmt.Errorf("%w: %q is not a draft key (see TextKey)", ErrDraftNotFound, key)
	}
	return filepath.Join(s.dir, key+".txt"), nil
}

// Put implements [Drafts]. A key that exists is left as it is.
func (s *FileDrafts) Put(_ context.Context, key string, text []byte) error {
	path, err := s.path(key)
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	f, err := os.CreateTemp(s.dir, ".draft-*.tmp")
	if err != nil {
		return fmt.Errorf("docapproval: create temporary draft: %w", err)
	}
	tmp := f.Name()
	defer func() { _ = os.Remove(tmp) }()
	_, werr := f.Write(text)
	if werr == nil {
		werr = f.Sync()
	}
	if err := errors.Join(werr, f.Close()); err != nil {
		return fmt.Errorf("docapproval: write draft %s: %w", key, err)
	}
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("docapproval: publish draft %s: %w", key, err)
	}
	return syncDir(s.dir)
}

// Get implements [Drafts].
func (s *FileDrafts) Get(_ context.Context, key string) ([]byte, error) {
	path, err := s.path(key)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s (is the draft directory shared by every worker?)", ErrDraftNotFound, path)
	}
	if err != nil {
		return nil, fmt.Errorf("docapproval: read draft %s: %w", key, err)
	}
	return b, nil
}

// putDraft stores text when it is longer than inline bytes and returns the
// reference to record instead; nil means the text travels inline.
func putDraft(ctx context.Context, d Drafts, inline int, docID string, version int, text string) (*hitl.DraftRef, error) {
	if inline < 0 || len(text) <= inline {
		return nil, nil
	}
	ref := hitl.NewDraftRef("", []byte(text))
	ref.Key = TextKey(docID, version, ref.SHA256)
	ref.Head = head(text)
	if err := d.Put(ctx, ref.Key, []byte(text)); err != nil {
		return nil, err
	}
	return &ref, nil
}

// loadDraft returns the text ref describes, checked against its hash, or
// against the hash prefix in its key when ref carries no hash (see bare).
func loadDraft(ctx context.Context, d Drafts, ref *hitl.DraftRef) (string, error) {
	b, err := d.Get(ctx, ref.Key)
	if err != nil {
		return "", err
	}
	if ref.SHA256 != "" {
		if err := ref.Verify(b); err != nil {
			return "", fmt.Errorf("%w: %w", errHashMismatch, err)
		}
		return string(b), nil
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:8]); !strings.HasSuffix(ref.Key, "_"+got) {
		return "", fmt.Errorf("%w: %q holds text whose hash starts %s", errHashMismatch, ref.Key, got)
	}
	return string(b), nil
}

// head is the first refHeadRunes runes of text.
func head(text string) string {
	i := 0
	for pos := range text {
		if i == refHeadRunes {
			return strings.TrimRight(text[:pos], " \n\t") + "…"
		}
		i++
	}
	return text
}

// bare is what an activity's input needs to load the text of ref: its key
// (which holds 64 bits of the text's hash, checked on load) and size. The
// full hash and the head stay in the Document, out of every revision's
// input.
func bare(ref *hitl.DraftRef) *hitl.DraftRef {
	if ref == nil {
		return nil
	}
	return &hitl.DraftRef{Key: ref.Key, Size: ref.Size}
}
