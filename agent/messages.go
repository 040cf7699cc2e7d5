package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/durable-llm/durable-llm/llm"
)

// Message stores: where an agent keeps its conversation by reference
// ([ToolsConfig.Messages], llm.Config.Messages). Keys are content addresses
// (llm.RefOf), so a key always names the same bytes: stores never update,
// only add, and need no locking between writers.

var _ llm.MessageStore = (*MemoryMessages)(nil)
var _ llm.MessageStore = (*FileMessages)(nil)
var _ llm.MessageStore = (*PostgresMessages)(nil)

// MemoryMessages is a message store in a map, for tests and single-process
// programs. The zero value is ready to use; it is safe for concurrent use.
type MemoryMessages struct {
	mu   sync.Mutex
	data map[string][]byte
}

// Put implements llm.MessageStore.
func (s *MemoryMessages) Put(_ context.Context, key string, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.data == nil {
		s.data = make(map[string][]byte)
	}
	if _, ok := s.data[key]; !ok {
		s.data[key] = append([]byte(nil), data...)
	}
	return nil
}

// Get implements llm.MessageStore.
func (s *MemoryMessages) Get(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.data[key]
	if !ok {
		return nil, fmt.Errorf("agent: message %s: %w", key, llm.ErrRefNotFound)
	}
	return append([]byte(nil), b...), nil
}

// Len returns the number of stored messages.
func (s *MemoryMessages) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.data)
}

// FileMessages keeps one file per message in a directory, for workers on
// one host or on a shared disk. A file is written to a temporary name,
// synced and renamed, so a reader sees a whole message or none. It is safe
// for concurrent use, also between processes.
type FileMessages struct {
	dir string
}

// NewFileMessages returns the store in dir, creating it.
func NewFileMessages(dir string) (*FileMessages, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("agent: message store directory: %w", err)
	}
	return &FileMessages{dir: dir}, nil
}

var reRef = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

func (s *FileMessages) path(key string) (string, error) {
	if !reRef.MatchString(key) {
		return "", fmt.Errorf("agent: %q is not a message reference (sha256:<64 hex>)", key)
	}
	h := strings.TrimPrefix(key, llm.RefPrefix)
	return filepath.Join(s.dir, h[:2], h), nil
}

// Put implements llm.MessageStore.
func (s *FileMessages) Put(_ context.Context, key string, data []byte) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if _, err := os.Stat(p); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(f.Name(), p)
	}
	if werr != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("agent: store message %s: %w", key, werr)
	}
	return nil
}

// Get implements llm.MessageStore.
func (s *FileMessages) Get(_ context.Context, key string) ([]byte, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("agent: message %s: %w", key, llm.ErrRefNotFound)
	}
	return b, err
}

// PostgresMessagesTable is the table [NewPostgresMessages] creates.
const PostgresMessagesTable = "agent_messages"

// PostgresMessages keeps messages in a PostgreSQL table (key text primary
// key, data bytea), for workers on several hosts. It is safe for
// concurrent use and does not own the pool.
type PostgresMessages struct {
	pool  *pgxpool.Pool
	table string
}

// NewPostgresMessages returns the store in table (empty means
// [PostgresMessagesTable]), creating the table when it does not exist.
func NewPostgresMessages(ctx context.Context, pool *pgxpool.Pool, table string) (*PostgresMessages, error) {
	if table == "" {
		table = PostgresMessagesTable
	}
	if !regexp.MustCompile(`^[a-z_][a-z0-9_]{0,50}(\.[a-z_][a-z0-9_]{0,50})?$`).MatchString(table) {
		return nil, fmt.Errorf("agent: table name %q: use lowercase letters, digits and _, optionally schema-qualified", table)
	}
	_, err := pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+table+` (key text PRIMARY KEY, data bytea NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`)
	if err != nil {
		return nil, fmt.Errorf("agent: create table %s: %w", table, err)
	}
	return &PostgresMessages{pool: pool, table: table}, nil
}

// Put implements llm.MessageStore.
func (s *PostgresMessages) Put(ctx context.Context, key string, data []byte) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO `+s.table+` (key, data) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, key, data)
	return err
}

// Get implements llm.MessageStore.
func (s *PostgresMessages) Get(ctx context.Context, key string) ([]byte, error) {
	var b []byte
	err := s.pool.QueryRow(ctx, `SELECT data FROM `+s.table+` WHERE key = $1`, key).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("agent: message %s: %w", key, llm.ErrRefNotFound)
	}
	return b, err
}
