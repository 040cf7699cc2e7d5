package docapproval

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Store keeps approved documents as JSON files, one per (doc_id, version):
// <dir>/<doc_id>_<version>.json, the seed's layout. A record is written once
// and never rewritten: [Store.Persist] of a (doc_id, version) that already
// has a record returns that record.
//
// Writes are atomic: the record goes to a temporary file in the same
// directory, is fsynced, then linked to its final name (link(2) is a rename
// that fails instead of replacing an existing file, so two workers racing on
// one record cannot overwrite each other), and the directory is fsynced. A
// crash leaves either no record or the whole record, never a torn one.
//
// Create it with [NewStore]. It is safe for concurrent use, also by several
// processes sharing the directory.
type Store struct {
	dir string
}

// Record is one approved document as the [Store] keeps it.
type Record struct {
	// DocID and Version identify the record.
	DocID   string `json:"doc_id"`
	Version int    `json:"version"`
	// Content is the approved text.
	Content string `json:"content"`
	// SHA256 is the hex SHA-256 of Content.
	SHA256 string `json:"sha256"`
	// Status is always "final", as in the seed.
	Status string `json:"status"`
	// ApprovedBy is the reviewer whose approval completed the review.
	ApprovedBy string `json:"approved_by,omitempty"`
	// WorkflowID is the review that approved the document.
	WorkflowID string `json:"workflow_id,omitempty"`
	// PersistedAt is when the record was first written (worker clock).
	PersistedAt time.Time `json:"persisted_at"`
}

// StatusFinal is the Status of every [Record].
const StatusFinal = "final"

// ErrNotFound is returned by [Store.Get] when no record exists.
var ErrNotFound = errors.New("docapproval: no approved record")

// ErrConflict is matched (errors.Is) by the error [Store.Persist] returns
// when a record for the same (doc_id, version) exists with other content.
var ErrConflict = errors.New("docapproval: an approved record with other content exists")

// ConflictError says which record already holds the (doc_id, version).
type ConflictError struct {
	// Existing is the record on disk, which was left unchanged.
	Existing Record
	// Path is its file.
	Path string
	// SHA256 is the hash of the content that was refused.
	SHA256 string
}

// Error implements error.
func (e *ConflictError) Error() string {
	return fmt.Sprintf("docapproval: %s already holds %s v%d with content %.12s…, not %.12s…; "+
		"approved records are never rewritten: review the document under a new doc_id",
		e.Path, e.Existing.DocID, e.Existing.Version, e.Existing.SHA256, e.SHA256)
}

// Unwrap returns [ErrConflict].
func (e *ConflictError) Unwrap() error { return ErrConflict }

// NewStore returns a Store in dir, creating the directory when missing.
func NewStore(dir string) (*Store, error) {
	if strings.TrimSpace(dir) == "" {
		return nil, errors.New("docapproval: the approved-document store needs a directory (Config.Dir, -data)")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("docapproval: create store directory: %w", err)
	}
	return &Store{dir: dir}, nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// Path returns the file of the record for (docID, version), whether it
// exists or not.
func (s *Store) Path(docID string, version int) string {
	return filepath.Join(s.dir, docID+"_"+strconv.Itoa(version)+".json")
}

// Persist writes rec unless a record for (rec.DocID, rec.Version) exists. It
// fills SHA256, Status and, when zero, PersistedAt. It returns the record
// on disk and whether this call created it. An existing record with the
// same content is returned unchanged (created is false); one with other
// content is left alone and the error is a [*ConflictError].
func (s *Store) Persist(rec Record) (stored Record, created bool, err error) {
	if err := validateDocID(rec.DocID); err != nil {
		return Record{}, false, err
	}
	if rec.Version < 1 {
		return Record{}, false, fmt.Errorf("docapproval: version %d: versions start at 1", rec.Version)
	}
	rec.SHA256 = hashText(rec.Content)
	rec.Status = StatusFinal
	if rec.PersistedAt.IsZero() {
		rec.PersistedAt = time.Now().UTC()
	}
	path := s.Path(rec.DocID, rec.Version)
	if existing, err := s.read(path); err == nil {
		return s.same(existing, path, rec.SHA256)
	} else if !errors.Is(err, ErrNotFound) {
		return Record{}, false, err
	}

	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return Record{}, false, fmt.Errorf("docapproval: encode record: %w", err)
	}
	tmp, err := s.writeTemp(b)
	if err != nil {
		return Record{}, false, err
	}
	defer func() { _ = os.Remove(tmp) }()
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) { // another writer won the race
			existing, rerr := s.read(path)
			if rerr != nil {
				return Record{}, false, rerr
			}
			return s.same(existing, path, rec.SHA256)
		}
		return Record{}, false, fmt.Errorf("docapproval: publish %s: %w", path, err)
	}
	if err := syncDir(s.dir); err != nil {
		return Record{}, false, err
	}
	return rec, true, nil
}

// same returns existing when its content hash is sum, else a conflict.
func (s *Store) same(existing Record, path, sum string) (Record, bool, error) {
	if existing.SHA256 != sum {
		return existing, false, &ConflictError{Existing: existing, Path: path, SHA256: sum}
	}
	return existing, false, nil
}

// writeTemp writes b to a fsynced temporary file in the store's directory.
func (s *Store) writeTemp(b []byte) (string, error) {
	f, err := os.CreateTemp(s.dir, ".record-*.tmp")
	if err != nil {
		return "", fmt.Errorf("docapproval: create temporary record: %w", err)
	}
	name := f.Name()
	_, werr := f.Write(b)
	if werr == nil {
		werr = f.Sync()
	}
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(name)
		return "", fmt.Errorf("docapproval: write temporary record: %w", err)
	}
	return name, nil
}

// Get returns the record for (docID, version), or an error matching
// [ErrNotFound].
func (s *Store) Get(docID string, version int) (Record, error) {
	return s.read(s.Path(docID, version))
}

// List returns the records of docID (every document when docID is empty),
// ordered by doc_id then version.
func (s *Store) List(docID string) ([]Record, error) {
	paths, err := filepath.Glob(filepath.Join(s.dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var out []Record
	for _, p := range paths {
		r, err := s.read(p)
		if err != nil {
			return nil, err
		}
		if docID == "" || r.DocID == docID {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b Record) int {
		if c := strings.Compare(a.DocID, b.DocID); c != 0 {
			return c
		}
		return a.Version - b.Version
	})
	return out, nil
}

func (s *Store) read(path string) (Record, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Record{}, fmt.Errorf("%w: %s", ErrNotFound, path)
	}
	if err != nil {
		return Record{}, fmt.Errorf("docapproval: read %s: %w", path, err)
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return Record{}, fmt.Errorf("docapproval: %s is not a record (%w); move it out of the store directory", path, err)
	}
	return r, nil
}

// syncDir fsyncs dir so a new name in it survives a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("docapproval: open store directory: %w", err)
	}
	serr := d.Sync()
	cerr := d.Close()
	if err := errors.Join(serr, cerr); err != nil {
		return fmt.Errorf("docapproval: sync store directory: %w", err)
	}
	return nil
}

func hashText(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
