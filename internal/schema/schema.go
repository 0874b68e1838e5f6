package schema

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/spsync/spsync/internal/logging"
	"github.com/spsync/spsync/migrations"
)

// RiverVersion is the River schema version spsync runs on. Raise it when
// upgrading River brings a new migration (TestRiverVersionIsLatest says so).
const RiverVersion = 8

// ErrBehind is wrapped by Check when the database needs `migrate up`.
var ErrBehind = errors.New("database schema is behind")

// Status is where a database stands against this binary's migrations.
type Status struct {
	RiverVersion  int   // applied River version (0: none)
	RiverTarget   int   // RiverVersion
	GooseVersion  int64 // applied spsync version (0: none)
	GooseTarget   int64 // newest embedded spsync migration
	PendingGoose  []int64
	AppliedGoose  []int64
	RiverUpToDate bool
}

// UpToDate reports whether both River and spsync migrations are applied.
func (s Status) UpToDate() bool {
	return s.RiverVersion >= s.RiverTarget && s.GooseVersion >= s.GooseTarget
}

// Migrator applies and inspects the schema of one database.
type Migrator struct {
	pool   *pgxpool.Pool
	db     *sql.DB
	goose  *goose.Provider
	river  *rivermigrate.Migrator[pgx.Tx]
	logger *slog.Logger
}

// New returns a Migrator over pool. Close it when done.
func New(pool *pgxpool.Pool, logger *slog.Logger) (*Migrator, error) {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	db := stdlib.OpenDBFromPool(pool)
	gp, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS, goose.WithLogger(gooseLogger{logger}))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("load goose migrations: %w", err)
	}
	// River's own "Applied migration" lines go to DEBUG: Up logs each
	// River migration itself, with its name.
	rm, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: slog.New(logging.ForRiver(logger.Handler()))})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("load river migrations: %w", err)
	}
	return &Migrator{pool: pool, db: db, goose: gp, river: rm, logger: logger}, nil
}

// Close releases the database/sql handle over the pool (not the pool).
func (m *Migrator) Close() error { return m.db.Close() }

// Up applies River's migrations up to RiverVersion, then every pending
// spsync migration.
func (m *Migrator) Up(ctx context.Context) error {
	res, err := m.river.Migrate(ctx, rivermigrate.DirectionUp, &rivermigrate.MigrateOpts{TargetVersion: RiverVersion})
	if err != nil {
		return fmt.Errorf("migrate river up to %d: %w", RiverVersion, err)
	}
	for _, v := range res.Versions {
		m.logger.Debug("applied river migration", "version", v.Version, "name", v.Name)
	}
	results, err := m.goose.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate spsync up: %w", err)
	}
	for _, r := range results {
		m.logger.Debug("applied migration", "version", r.Source.Version, "path", r.Source.Path, "duration", r.Duration)
	}
	// One line at INFO for the whole upgrade (a new database applies
	// dozens): each migration is at DEBUG.
	if len(res.Versions) > 0 || len(results) > 0 {
		attrs := []any{"river", len(res.Versions), "spsync", len(results)}
		if n := len(results); n > 0 {
			attrs = append(attrs, "spsync_from", results[0].Source.Version, "spsync_to", results[n-1].Source.Version)
		}
		m.logger.Info("applied migrations", attrs...)
	}
	return nil
}

// DownTo rolls spsync migrations back until version remains applied. With
// version 0 River's tables are removed too, leaving an empty database.
func (m *Migrator) DownTo(ctx context.Context, version int64) error {
	if version < 0 {
		return fmt.Errorf("migrate down: version %d is negative", version)
	}
	results, err := m.goose.DownTo(ctx, version)
	if err != nil {
		return fmt.Errorf("migrate spsync down to %d: %w", version, err)
	}
	for _, r := range results {
		m.logger.Info("rolled back migration", "version", r.Source.Version, "path", r.Source.Path)
	}
	if version > 0 {
		return nil
	}
	res, err := m.river.Migrate(ctx, rivermigrate.DirectionDown, &rivermigrate.MigrateOpts{TargetVersion: -1})
	if err != nil {
		return fmt.Errorf("migrate river down: %w", err)
	}
	for _, v := range res.Versions {
		m.logger.Info("rolled back river migration", "version", v.Version)
	}
	return nil
}

// Down rolls back the newest spsync migration.
func (m *Migrator) Down(ctx context.Context) error {
	r, err := m.goose.Down(ctx)
	if err != nil {
		return fmt.Errorf("migrate spsync down: %w", err)
	}
	m.logger.Info("rolled back migration", "version", r.Source.Version, "path", r.Source.Path)
	return nil
}

// Status reads the applied versions without changing anything.
func (m *Migrator) Status(ctx context.Context) (Status, error) {
	st := Status{RiverTarget: RiverVersion}
	for _, src := range m.goose.ListSources() {
		st.GooseTarget = max(st.GooseTarget, src.Version)
	}

	var riverExists, gooseExists bool
	if err := m.pool.QueryRow(ctx, `SELECT to_regclass('river_migration') IS NOT NULL, to_regclass('goose_db_version') IS NOT NULL`).
		Scan(&riverExists, &gooseExists); err != nil {
		return st, fmt.Errorf("read schema status: %w", err)
	}
	if riverExists {
		if err := m.pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM river_migration WHERE line = 'main'`).Scan(&st.RiverVersion); err != nil {
			return st, fmt.Errorf("read river version: %w", err)
		}
	}
	applied := map[int64]bool{}
	if gooseExists {
		rows, err := m.pool.Query(ctx, `SELECT version_id FROM goose_db_version WHERE is_applied AND version_id > 0`)
		if err != nil {
			return st, fmt.Errorf("read goose versions: %w", err)
		}
		for rows.Next() {
			var v int64
			if err := rows.Scan(&v); err != nil {
				return st, fmt.Errorf("read goose versions: %w", err)
			}
			applied[v] = true
			st.GooseVersion = max(st.GooseVersion, v)
		}
		if err := rows.Err(); err != nil {
			return st, fmt.Errorf("read goose versions: %w", err)
		}
	}
	for _, src := range m.goose.ListSources() {
		if applied[src.Version] {
			st.AppliedGoose = append(st.AppliedGoose, src.Version)
		} else {
			st.PendingGoose = append(st.PendingGoose, src.Version)
		}
	}
	st.RiverUpToDate = st.RiverVersion >= RiverVersion
	return st, nil
}

// Check returns an error wrapping ErrBehind, worded as one line that names
// the fix, when the database is not at this binary's schema.
func (m *Migrator) Check(ctx context.Context) error {
	st, err := m.Status(ctx)
	if err != nil {
		return err
	}
	if st.UpToDate() {
		return nil
	}
	return fmt.Errorf("%w (river %d of %d, spsync %d of %d): run `migrate up` (go run ./cmd/migrate up) against this DATABASE_URL, or start the worker with --migrate",
		ErrBehind, st.RiverVersion, st.RiverTarget, st.GooseVersion, st.GooseTarget)
}

// LatestRiverVersion is the newest migration the linked River ships.
func (m *Migrator) LatestRiverVersion() int {
	all := m.river.AllVersions()
	return all[len(all)-1].Version
}

// gooseLogger routes goose's printf-style output into slog at debug level.
type gooseLogger struct{ l *slog.Logger }

func (g gooseLogger) Fatalf(format string, v ...any) { g.l.Error(fmt.Sprintf(format, v...)) }
func (g gooseLogger) Printf(format string, v ...any) { g.l.Debug(fmt.Sprintf(format, v...)) }
