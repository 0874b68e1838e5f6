package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/logging"
	"github.com/spsync/spsync/internal/oauth"
	"github.com/spsync/spsync/internal/worker"
)

func runWorker(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("worker run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	migrate := fs.Bool("migrate", false, "apply pending migrations before starting (always done for the local database)")
	once := fs.Bool("once", false, "run one poll of every stream for every account, wait for the follow-ups that are due, and exit (1 if a job failed for good)")
	simulate := fs.Bool("simulate", false, "sync from the built-in SP-API simulator even when credentials are set")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "worker run: unexpected argument %q\n", fs.Arg(0))
		return 2
	}

	// The log's format and level first: text on a terminal, JSON otherwise
	// (SPSYNC_LOG_FORMAT, SPSYNC_LOG_LEVEL; see internal/logging).
	logger, err := logging.FromEnv(stderr, getenv)
	if err != nil {
		fmt.Fprintln(stderr, "worker:", err)
		return 2
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "worker:", err)
		return 2
	}
	if *simulate {
		cfg.Simulate = true
	}
	keys, err := accounts.LoadKeyring(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "worker:", err)
		return 2
	}
	rot, err := config.LoadRotation(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "worker:", err)
		return 2
	}
	// The onboarding listener (SPSYNC_OAUTH_*); the worker checks it is
	// complete once it knows whether the built-in simulator fills it in.
	onboard, err := oauth.LoadConfig(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "worker:", err)
		return 2
	}
	reload := accounts.DefaultReloadEvery
	if v := getenv("SPSYNC_ACCOUNTS_RELOAD"); v != "" {
		if reload, err = time.ParseDuration(v); err != nil || reload < time.Second || reload > time.Minute {
			fmt.Fprintf(stderr, "worker: config: SPSYNC_ACCOUNTS_RELOAD: %q is not a duration between 1s and 1m: write e.g. 10s\n", v)
			return 2
		}
	}
	err = worker.Run(ctx, worker.Options{
		Config:         cfg,
		Keys:           keys,
		Rotation:       rot,
		OAuth:          onboard,
		AccountsReload: reload,
		Logger:         logger,
		Progress:       stderr,
		Migrate:        *migrate,
		Once:           *once,
		Ready: func(info worker.ReadyInfo) {
			view := hostViewFrom(getenv, os.Args[0])
			if *once {
				writeOnceBanner(stdout, info, view)
				return
			}
			writeBanner(stdout, info, view)
			if info.OAuthURL != "" {
				fmt.Fprintf(stdout, "Onboarding sellers at %[1]s/oauth/ (Login URI %[1]s/oauth/login, redirect URI %[1]s/oauth/callback); invitation links: %s accounts invite\n", info.OAuthURL, view.command)
			}
		},
	})
	if err != nil {
		fmt.Fprintln(stderr, "worker:", err)
		return 1
	}
	return 0
}
