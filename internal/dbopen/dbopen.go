// Package dbopen turns configuration into a connection pool: DATABASE_URL
// when set, otherwise a local PostgreSQL server under SPSYNC_DATA_DIR that
// it starts (and later stops) itself. The worker and the migrate command
// share it so both find the same database.
package dbopen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/spsync/spsync/internal/localpg"
)

// LocalDatabase is the database spsync creates on its local server.
const LocalDatabase = "spsync"

// DB is an open pool plus how to release it.
type DB struct {
	Pool *pgxpool.Pool
	// URL is the pool's connection string, without its password.
	URL string
	// Local is true when the server was started from SPSYNC_DATA_DIR.
	Local bool
	// DataDir is the local server's absolute data directory ("" with
	// DATABASE_URL), and DataDirMovedFrom the default directory it stands
	// in for when the server's user could not reach that (see
	// localpg.Options.Relocate). Start-up banners print both.
	DataDir, DataDirMovedFrom string
	server                    *localpg.Server
}

// Close closes the pool and stops a local server that Open started.
func (d *DB) Close() {
	d.Pool.Close()
	if d.server != nil {
		if err := d.server.Stop(); err != nil {
			slog.Error("stop local postgres", "err", err)
		}
	}
}

// Open connects to databaseURL, or, when it is empty, to a local server in
// dataDir, starting it and creating LocalDatabase as needed. Progress of a
// local start goes to progress.
func Open(ctx context.Context, databaseURL, dataDir string, progress io.Writer) (*DB, error) {
	if databaseURL != "" {
		pool, err := connect(ctx, databaseURL)
		if err != nil {
			return nil, err
		}
		return &DB{Pool: pool, URL: redact(databaseURL)}, nil
	}

	// Only the default may move: a directory the operator chose stays
	// theirs, and localpg says why it cannot be used instead.
	dataDir = filepath.Clean(dataDir)
	srv, err := localpg.Start(ctx, localpg.Options{
		DataDir:  dataDir,
		Relocate: dataDir == localpg.DefaultDataDir,
		Log:      progress,
	})
	if err != nil {
		return nil, fmt.Errorf("start local postgres in %s: %w", dataDir, err)
	}
	if err := createDatabase(ctx, srv.URL("postgres"), LocalDatabase); err != nil {
		_ = srv.Stop()
		return nil, err
	}
	pool, err := connect(ctx, srv.URL(LocalDatabase))
	if err != nil {
		_ = srv.Stop()
		return nil, err
	}
	return &DB{Pool: pool, URL: srv.URL(LocalDatabase), Local: true,
		DataDir: srv.DataDir(), DataDirMovedFrom: srv.MovedFrom(), server: srv}, nil
}

func connect(ctx context.Context, databaseURL string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		// pgx's parse errors may echo the URL; say only what is wrong.
		return nil, errors.New("parse DATABASE_URL: not a valid connection string (use postgres://user:password@host:5432/dbname)")
	}
	if cfg.MaxConns < 20 {
		cfg.MaxConns = 20
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to postgres at %s:%d: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, err)
	}
	return pool, nil
}

func createDatabase(ctx context.Context, adminURL, name string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("connect to local postgres: %w", err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

func redact(raw string) string {
	cfg, err := pgconn.ParseConfig(raw)
	if err != nil {
		return "(unparseable)"
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
}
