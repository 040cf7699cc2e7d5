package idem

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// FileStore keeps records as JSON files in a directory, like the seed's
// `(doc_id, version)` files, and is safe for several processes on one host
// sharing that directory (and for concurrent use within a process).
//
// Layout: the completed record of key k is <dir>/<sha256(k)>.json and its
// claim, while one is held, <dir>/<sha256(k)>.claim, so any key maps to safe
// file names. A file holds two JSON documents: the record (key,
// fingerprint, state, owner, lease, expiry, pending data) on its first
// line, then the outcome, so reading a record does not parse the outcome. A claim that finds the record completed (a replay) reads the
// .json file without locking; completed records are only ever replaced by a
// rename, so readers never see a torn one. Changes to a key are serialized
// by flock(2) on one of 256 lock files in <dir>/.locks (chosen by the key's
// hash), which the kernel releases when a process dies. A network file
// system without working flock is not supported; use [PostgresStore]
// across hosts.
//
// What is forced to disk (fsync) is what crash safety needs after a crash
// of the host; a killed worker process loses nothing that reached the
// kernel:
//
//   - Complete: the finished record, then the directory after renaming it
//     to .json. A recorded outcome survives power loss.
//   - SetPending: the claim file (written to a temporary file and renamed),
//     then the directory. A recorded pending id survives power loss, and
//     every later change to that claim is written to a temporary file,
//     fsynced and renamed, so it is never torn.
//   - Claim, Renew, Abandon of a claim without pending data: nothing; the
//     claim file is rewritten in place. After power loss every holder on
//     the host is dead, so a claim lost or cut by the crash only means the
//     next attempt finds no claim or an older lease; a wrapped call
//     re-derives the takeover from Temporal's attempt number ([Wrap]
//     reconciles on any attempt after the first that finds no record). A
//     claim file that does not decode is read as no claim.
//   - Release and Purge: nothing; a deleted claim that reappears is a claim
//     whose lease ends, an expired record that reappears is expired.
//
// A first call thus creates one file and forces two fsyncs, as a plain
// durable write of its result would; a replay opens and reads one file.
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
	claimExt   = ".claim"
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

// fileRecord is the first line of a record file: the record without its
// outcome, which follows on the next line(s) as a JSON document of its own,
// so that reading a record never parses the outcome (Wrap decodes it once).
// Outcome is read from the first line only in files written by an earlier
// version (one indented document).
type fileRecord struct {
	Record
	Outcome json.RawMessage `json:"outcome,omitempty"`
	Pending json.RawMessage `json:"pending,omitempty"`
}

func hashKey(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}

func (s *FileStore) recordPath(hash string) string { return filepath.Join(s.dir, hash+recordExt) }
func (s *FileStore) claimPath(hash string) string  { return filepath.Join(s.dir, hash+claimExt) }
func (s *FileStore) tempPath(hash string) string   { return filepath.Join(s.dir, tempPrefix+hash) }

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

// current returns the record of hash at now: the completed record while it
// lives, else the claim, else the expired record (or a claim written by an
// earlier version in the .json file), or nil. claimed says whether it is
// the claim file's.
func (s *FileStore) current(hash, key string, now time.Time) (r *Record, claimed bool, err error) {
	done, err := s.load(s.recordPath(hash), key, false)
	if err != nil || (done != nil && done.State == StateCompleted && now.Before(done.ExpiresAt)) {
		return done, false, err
	}
	c, err := s.load(s.claimPath(hash), key, true)
	if err != nil || c != nil {
		return c, c != nil, err
	}
	return done, false, nil
}

// Claim implements [Store]. A claim that changes nothing reads without
// taking the lock; a claim the lock-free read cannot decide is read again
// under the lock.
func (s *FileStore) Claim(ctx context.Context, req ClaimRequest) (Claim, error) {
	if err := req.validate(); err != nil {
		return Claim{}, err
	}
	if err := ctx.Err(); err != nil {
		return Claim{}, err
	}
	hash := hashKey(req.Key)
	now := s.cfg.now()
	if cur, _, err := s.current(hash, req.Key, now); err == nil {
		if c, next := Decide(cur, req, now); next == nil {
			return c, nil
		}
	}
	var c Claim
	err := s.locked(ctx, hash, func() error {
		now := s.cfg.now()
		cur, _, err := s.current(hash, req.Key, now)
		if err != nil {
			return err
		}
		var next *Record
		c, next = Decide(cur, req, now)
		if next == nil {
			return nil
		}
		return s.writeClaim(hash, next, false)
	})
	return c, err
}

// Renew implements [Store].
func (s *FileStore) Renew(ctx context.Context, key, owner string, lease, ttl time.Duration) error {
	if err := validRenewal(lease, ttl); err != nil {
		return err
	}
	return s.update(ctx, key, owner, func(hash string, r *Record, now time.Time) error {
		*r = renewed(*r, now, lease, ttl)
		return s.writeClaim(hash, r, false)
	})
}

// SetPending implements [Store].
func (s *FileStore) SetPending(ctx context.Context, key, owner string, pending []byte) error {
	return s.update(ctx, key, owner, func(hash string, r *Record, _ time.Time) error {
		r.Pending = pending
		return s.writeClaim(hash, r, true)
	})
}

// Complete implements [Store].
func (s *FileStore) Complete(ctx context.Context, key, owner string, outcome []byte, ttl time.Duration) error {
	return s.update(ctx, key, owner, func(hash string, r *Record, now time.Time) error {
		hadPending := len(r.Pending) > 0
		r.State = StateCompleted
		r.LeaseUntil = time.Time{}
		r.ExpiresAt = now.Add(ttl)
		r.Outcome = outcome
		r.Pending = nil
		return s.complete(hash, r, hadPending)
	})
}

// Release implements [Store].
func (s *FileStore) Release(ctx context.Context, key, owner string) error {
	return s.update(ctx, key, owner, func(hash string, _ *Record, _ time.Time) error {
		return removeFile(s.claimPath(hash))
	})
}

// Abandon implements [Store].
func (s *FileStore) Abandon(ctx context.Context, key, owner string) error {
	return s.update(ctx, key, owner, func(hash string, r *Record, now time.Time) error {
		r.LeaseUntil = now
		return s.writeClaim(hash, r, false)
	})
}

// update applies f to the claim that owner holds.
func (s *FileStore) update(ctx context.Context, key, owner string, f func(hash string, r *Record, now time.Time) error) error {
	hash := hashKey(key)
	return s.locked(ctx, hash, func() error {
		now := s.cfg.now()
		r, claimed, err := s.current(hash, key, now)
		if err != nil {
			return err
		}
		if !claimed || r.State != StateClaimed || r.Owner != owner {
			return ErrNotOwner
		}
		return f(hash, r, now)
	})
}

// Purge implements [Purger]. It also removes claims left unreadable by a
// host crash and temporary files left by a process that crashed while
// writing.
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
		hash, ext := strings.TrimSuffix(name, filepath.Ext(name)), filepath.Ext(name)
		if (ext != recordExt && ext != claimExt) || len(hash) != sha256.Size*2 {
			continue
		}
		path := filepath.Join(s.dir, name)
		err := s.locked(ctx, hash, func() error {
			r, err := s.load(path, "", ext == claimExt)
			if err != nil || (r != nil && s.cfg.now().Before(r.ExpiresAt)) {
				return err
			}
			if r != nil {
				n++
			}
			return removeFile(path)
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
