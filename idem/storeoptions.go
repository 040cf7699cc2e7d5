package idem

import "time"

// StoreOption configures a store.
type StoreOption func(*storeConfig)

type storeConfig struct {
	clock   func() time.Time
	table   string
	migrate bool
}

func newStoreConfig(opts []StoreOption) storeConfig {
	c := storeConfig{table: DefaultTable, migrate: true}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// now is the Go clock: the injected one or time.Now.
func (c storeConfig) now() time.Time {
	if c.clock != nil {
		return c.clock()
	}
	return time.Now()
}

// WithClock makes a store read the time from clock instead of the system
// clock, so tests can move past leases and TTLs without sleeping. The
// [PostgresStore] uses the database's now() unless this option is given.
func WithClock(clock func() time.Time) StoreOption {
	return func(c *storeConfig) { c.clock = clock }
}

// WithTable sets the table of a [PostgresStore] (default [DefaultTable]); it
// may be schema-qualified ("billing.idem_records"). Other stores ignore it.
func WithTable(name string) StoreOption {
	return func(c *storeConfig) { c.table = name }
}

// WithoutMigration stops [NewPostgresStore] from creating its table; apply
// [PostgresSchema] yourself. Other stores ignore it.
func WithoutMigration() StoreOption {
	return func(c *storeConfig) { c.migrate = false }
}
