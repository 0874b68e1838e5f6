package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/dbopen"
	"github.com/spsync/spsync/internal/schema"
)

// operatorDB is what the operator commands work with: the worker's
// database, checked to be migrated, and an insert-only River client.
type operatorDB struct {
	cfg   *config.Config
	db    *dbopen.DB
	river *river.Client[pgx.Tx]
}

// openOperatorDB loads the configuration and opens the database the
// worker uses. The code it returns on failure is the exit code.
func openOperatorDB(ctx context.Context, name string, getenv func(string) string, stderr io.Writer) (*operatorDB, int) {
	cfg, err := loadConfig(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "worker %s: %v\n", name, err)
		return nil, 2
	}
	db, err := dbopen.Open(ctx, cfg.DatabaseURL, cfg.DataDir, io.Discard)
	if err != nil {
		fmt.Fprintf(stderr, "worker %s: %v\n", name, err)
		return nil, 1
	}
	logger := slog.New(slog.DiscardHandler)
	m, err := schema.New(db.Pool, logger)
	if err == nil {
		err = m.Check(ctx)
		m.Close()
	}
	if err != nil {
		db.Close()
		fmt.Fprintf(stderr, "worker %s: %v\n", name, err)
		return nil, 1
	}
	client, err := river.NewClient(riverpgxv5.New(db.Pool), &river.Config{Logger: logger})
	if err != nil {
		db.Close()
		fmt.Fprintf(stderr, "worker %s: %v\n", name, err)
		return nil, 1
	}
	return &operatorDB{cfg: cfg, db: db, river: client}, 0
}

func (o *operatorDB) Close() { o.db.Close() }

// account picks the account a command acts on: the named one, or the only
// one configured.
func (o *operatorDB) account(name string) (string, error) {
	if name != "" {
		for _, a := range o.cfg.Accounts {
			if a.ID == name {
				return name, nil
			}
		}
		return "", fmt.Errorf("account %q is not configured", name)
	}
	if len(o.cfg.Accounts) != 1 {
		return "", fmt.Errorf("%d accounts are configured: name one with --account", len(o.cfg.Accounts))
	}
	return o.cfg.Accounts[0].ID, nil
}
