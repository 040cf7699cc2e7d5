package idem

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// FileStore keeps one JSON file per key in a directory, like the seed's
// `(doc_id, version)` files, and is safe for several processes on one host
// sharing that directory (and for concurrent use within a process).
//
// Layout: the record of key k is <dir>/<sha256(k)>.json, so any key maps to
// a safe file name. Every change is written to a temporary file in the same
// directory, fsynced, renamed over the record and followed by an fsync of the
// directory, so a crash leaves either the old or the new record, never a torn
// one. Changes to a key are serialized by flock(2) on one of 256 lock files
// in <dir>/.locks (chosen by the key's hash), which the kernel releases when a
// process dies. A network file system without working flock is not
// supported; use [PostgresStore] across hosts.
//
// Use [NewFileStore]. Expired records stay on disk until [FileStore.Purge]
// removes them.
type FileStore struct {
	cfg storeConfig
	dir string
}

var _ interface {
	Store
	Purger
} = (*FileStore)(nil)

const (
	lockDir    = ".locks"
	recordExt  = ".json"
	tempPrefix = ".tmp-"
)

// NewFileStore returns a FileStore in dir, creating the directory when it is
// missing. [WithClock] is the only option it uses. It fails on platforms
// without flock(2).
func NewFileStore(dir string, opts ...StoreOption) (*FileStore, error) {
	if !flockSupported {
		return nil, errors.New("idem: FileStore needs flock(2), which this platform lacks: use MemoryStore or PostgresStore")
	}
	if dir == "" {
		return nil, errors.New("idem: FileStore needs a directory")
	}
	if err := os.MkdirAll(filepath.Join(dir, lockDir), 0o700); err != nil {
		return nil, fmt.Errorf("idem: create file store directory: %w", err)
	}
	return &FileStore{cfg: newStoreConfig(opts), dir: dir}, nil
}

// Dir returns the store's directory.
func (s *FileStore) Dir() string { return s.dir }

// fileRecord is the on-disk form of a Record: the outcome stays readable JSON.
type fileRecord struct {
	Record
	Outcome json.RawMessage `json:"outcome,omitempty"`
}

func hashKey(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}

func (s *FileStore) path(hash string) string { return filepath.Join(s.dir, hash+recordExt) }

// locked runs f while holding the lock stripe of the key's hash.
func (s *FileStore) locked(ctx context.Context, hash string, f func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	unlock, err := flock(filepath.Join(s.dir, lockDir, hash[:2]+".lock"))
	if err != nil {
		return fmt.Errorf("idem: lock file store record: %w", err)
	}
	defer unlock()
	return f()
}

// read returns the record at hash, or nil when there is none.
func (s *FileStore) read(hash, key string) (*Record, error) {
	b, err := os.ReadFile(s.path(hash))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("idem: read file store record: %w", err)
	}
	var fr fileRecord
	if err := json.Unmarshal(b, &fr); err != nil {
		return nil, fmt.Errorf("idem: decode file store record %s: %w (delete the file to forget the key)", s.path(hash), err)
	}
	if key != "" && fr.Key != key {
		return nil, fmt.Errorf("idem: file store record %s holds key %q, not %q", s.path(hash), fr.Key, key)
	}
	r := fr.Record
	r.Outcome = fr.Outcome
	return &r, nil
}

// write replaces the record at hash atomically and durably.
func (s *FileStore) write(hash string, r *Record) error {
	fr := fileRecord{Record: *r}
	if len(r.Outcome) > 0 {
		if !json.Valid(r.Outcome) {
			return errors.New("idem: file store outcome must be a JSON document")
		}
		fr.Outcome = r.Outcome
	}
	b, err := json.MarshalIndent(fr, "", "  ")
	if err != nil {
		return fmt.Errorf("idem: encode file store record: %w", err)
	}
	tmp, err := os.CreateTemp(s.dir, tempPrefix+hash[:8]+"-*")
	if err != nil {
		return fmt.Errorf("idem: write file store record: %w", err)
	}
	name := tmp.Name()
	_, err = tmp.Write(append(b, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name, s.path(hash))
	}
	if err != nil {
		_ = os.Remove(name)
		return fmt.Errorf("idem: write file store record: %w", err)
	}
	return s.syncDir()
}

func (s *FileStore) remove(hash string) error {
	if err := os.Remove(s.path(hash)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("idem: delete file store record: %w", err)
	}
	return s.syncDir()
}

func (s *FileStore) syncDir() error {
	d, err := os.Open(s.dir)
	if err != nil {
		return fmt.Errorf("idem: sync file store directory: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("idem: sync file store directory: %w", err)
	}
	return nil
}

// Claim implements [Store].
func (s *FileStore) Claim(ctx context.Context, req ClaimRequest) (Claim, error) {
	if err := req.validate(); err != nil {
		return Claim{}, err
	}
	hash := hashKey(req.Key)
	var c Claim
	err := s.locked(ctx, hash, func() error {
		cur, err := s.read(hash, req.Key)
		if err != nil {
			return err
		}
		var next *Record
		c, next = Decide(cur, req, s.cfg.now())
		if next == nil {
			return nil
		}
		return s.write(hash, next)
	})
	return c, err
}

// Complete implements [Store].
func (s *FileStore) Complete(ctx context.Context, key, owner string, outcome []byte, ttl time.Duration) error {
	return s.update(ctx, key, owner, func(r *Record, now time.Time) bool {
		r.State = StateCompleted
		r.LeaseUntil = time.Time{}
		r.ExpiresAt = now.Add(ttl)
		r.Outcome = outcome
		return true
	})
}

// Release implements [Store].
func (s *FileStore) Release(ctx context.Context, key, owner string) error {
	return s.update(ctx, key, owner, func(*Record, time.Time) bool { return false })
}

// Abandon implements [Store].
func (s *FileStore) Abandon(ctx context.Context, key, owner string) error {
	return s.update(ctx, key, owner, func(r *Record, now time.Time) bool {
		r.LeaseUntil = now
		return true
	})
}

func (s *FileStore) update(ctx context.Context, key, owner string, f func(*Record, time.Time) bool) error {
	hash := hashKey(key)
	return s.locked(ctx, hash, func() error {
		r, err := s.read(hash, key)
		if err != nil {
			return err
		}
		if r == nil || r.State != StateClaimed || r.Owner != owner {
			return ErrNotOwner
		}
		if f(r, s.cfg.now()) {
			return s.write(hash, r)
		}
		return s.remove(hash)
	})
}

// Purge implements [Purger]. It also removes temporary files left by a
// process that crashed while writing.
func (s *FileStore) Purge(ctx context.Context) (int, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return 0, fmt.Errorf("idem: list file store: %w", err)
	}
	n := 0
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		name := e.Name()
		if strings.HasPrefix(name, tempPrefix) {
			if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > time.Hour {
				_ = os.Remove(filepath.Join(s.dir, name))
			}
			continue
		}
		hash, ok := strings.CutSuffix(name, recordExt)
		if !ok || len(hash) != sha256.Size*2 {
			continue
		}
		err := s.locked(ctx, hash, func() error {
			r, err := s.read(hash, "")
			if err != nil || r == nil || s.cfg.now().Before(r.ExpiresAt) {
				return err
			}
			n++
			return s.remove(hash)
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
