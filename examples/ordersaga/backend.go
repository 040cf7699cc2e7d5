package ordersaga

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/durable-llm/durable-llm/idem"
)

// EnvPostgresDSN names the variable that, when set, makes the worker keep
// its state in PostgreSQL instead of files (the -dsn flag wins over it).
const EnvPostgresDSN = "ORDERSAGA_POSTGRES_DSN"

// IdemTable is the idem table the PostgreSQL backend uses.
const IdemTable = "ordersaga_idem"

// DefaultDataDir is where the file backend keeps its state unless told
// otherwise: <temp dir>/ordersaga.
func DefaultDataDir() string { return filepath.Join(os.TempDir(), "ordersaga") }

// DefaultStock is the stock [OpenBackend] gives SKUs a fresh store lacks.
func DefaultStock() map[string]int {
	return map[string]int{"widget": 100, "gadget": 50, "gizmo": 10}
}

// Backend is the state a worker needs: the saga's [Store] and the idem
// store of its charge and refund keys.
type Backend struct {
	Store Store
	Keys  idem.Store
	// Where says where the state lives, for logs.
	Where string

	close func()
}

// Close releases the backend's connections.
func (b *Backend) Close() {
	if b.close != nil {
		b.close()
	}
}

// OpenBackend opens the PostgreSQL backend when dsn is not empty (tables
// prefixed [DefaultTablePrefix], idem table [IdemTable]), otherwise the file
// backend in dir ([FileStore] and an [idem.FileStore] in dir/idem). It adds
// [DefaultStock] for SKUs the store lacks.
func OpenBackend(ctx context.Context, dir, dsn string) (*Backend, error) {
	var b *Backend
	if dsn != "" {
		pool, err := pgxpool.New(ctx, dsn)
		if err != nil {
			return nil, fmt.Errorf("ordersaga: PostgreSQL DSN: %w", err)
		}
		if err := pool.Ping(ctx); err != nil {
			pool.Close()
			return nil, fmt.Errorf("ordersaga: PostgreSQL unreachable: %w (check the DSN, or drop it to use files)", err)
		}
		st, err := NewPostgresStore(ctx, pool, "")
		if err != nil {
			pool.Close()
			return nil, err
		}
		keys, err := idem.NewPostgresStore(ctx, pool, idem.WithTable(IdemTable))
		if err != nil {
			pool.Close()
			return nil, err
		}
		b = &Backend{Store: st, Keys: keys, Where: "PostgreSQL " + pool.Config().ConnConfig.Host, close: pool.Close}
	} else {
		if dir == "" {
			dir = DefaultDataDir()
		}
		st, err := NewFileStore(dir)
		if err != nil {
			return nil, err
		}
		keys, err := idem.NewFileStore(filepath.Join(dir, "idem"))
		if err != nil {
			return nil, err
		}
		b = &Backend{Store: st, Keys: keys, Where: "files in " + dir}
	}
	if err := b.Store.EnsureStock(ctx, DefaultStock()); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}
