package idem

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Reading and writing the files of a FileStore.

// load reads the record in path, or nil when there is none. A claim file
// that does not decode is what a crash left of a claim never synced: nil.
func (s *FileStore) load(path, key string, claim bool) (*Record, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("idem: read file store record: %w", err)
	}
	r, err := decodeFile(b)
	if err != nil {
		if claim {
			return nil, nil
		}
		return nil, fmt.Errorf("idem: decode file store record %s: %w (delete the file to forget the key)", path, err)
	}
	if key != "" && r.Key != key {
		return nil, fmt.Errorf("idem: file store record %s holds key %q, not %q", path, r.Key, key)
	}
	return r, nil
}

// decodeFile decodes a record file: the record on the first line, the
// outcome after it.
func decodeFile(b []byte) (*Record, error) {
	var fr fileRecord
	head, rest, found := bytes.Cut(b, []byte{'\n'})
	if err := json.Unmarshal(head, &fr); err != nil || !found {
		fr, rest = fileRecord{}, nil // written by an earlier version: one document
		if err := json.Unmarshal(b, &fr); err != nil {
			return nil, err
		}
	}
	r := fr.Record
	r.Outcome, r.Pending = fr.Outcome, fr.Pending
	if rest = bytes.TrimSpace(rest); len(rest) > 0 {
		r.Outcome = rest
	}
	return &r, nil
}

// encode returns the file of r: the record on one line, then its outcome.
func encode(r *Record) ([]byte, error) {
	fr := fileRecord{Record: *r}
	fr.Record.Outcome = nil
	if len(r.Pending) > 0 {
		if !json.Valid(r.Pending) {
			return nil, errors.New("idem: file store pending data must be a JSON document")
		}
		fr.Pending = r.Pending // compacted by Marshal: the first line stays one line
	}
	b, err := json.Marshal(fr)
	if err != nil {
		return nil, fmt.Errorf("idem: encode file store record: %w", err)
	}
	b = append(b, '\n')
	if len(r.Outcome) > 0 {
		if !json.Valid(r.Outcome) {
			return nil, errors.New("idem: file store outcome must be a JSON document")
		}
		b = append(append(b, r.Outcome...), '\n')
	}
	return b, nil
}

// writeFile writes b to path, and fsyncs it when sync is set.
func writeFile(path string, b []byte, sync bool) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("idem: write file store record: %w", err)
	}
	_, err = f.Write(b)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("idem: write file store record: %w", err)
	}
	return nil
}

// replace writes b to a temporary file, fsyncs it and renames it to path:
// path then holds the old or the new content, never a torn one.
func (s *FileStore) replace(hash, path string, b []byte) error {
	tmp := s.tempPath(hash)
	err := writeFile(tmp, b, true)
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("idem: write file store record: %w", err)
	}
	return nil
}

// writeClaim writes the claim of hash: in place when it holds nothing
// durable, else (pending data) through a fsynced temporary file, plus a
// fsync of the directory when durable is set.
func (s *FileStore) writeClaim(hash string, r *Record, durable bool) error {
	b, err := encode(r)
	if err != nil {
		return err
	}
	if len(r.Pending) == 0 && !durable {
		return writeFile(s.claimPath(hash), b, false)
	}
	if err := s.replace(hash, s.claimPath(hash), b); err != nil {
		return err
	}
	if durable {
		return s.syncDir()
	}
	return nil
}

// complete makes r (completed) the record of hash, durably, and removes the
// claim. Without pending data the claim file itself becomes the record.
func (s *FileStore) complete(hash string, r *Record, hadPending bool) error {
	b, err := encode(r)
	if err != nil {
		return err
	}
	claim := s.claimPath(hash)
	if hadPending { // never overwrite durable pending data in place
		if err := s.replace(hash, s.recordPath(hash), b); err != nil {
			return err
		}
	} else if err := writeFile(claim, b, true); err != nil {
		return err
	} else if err := os.Rename(claim, s.recordPath(hash)); err != nil {
		return fmt.Errorf("idem: write file store record: %w", err)
	}
	if err := s.syncDir(); err != nil {
		return err
	}
	if hadPending {
		return removeFile(claim) // if a crash brings it back, the record wins
	}
	return nil
}

func removeFile(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("idem: delete file store record: %w", err)
	}
	return nil
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
