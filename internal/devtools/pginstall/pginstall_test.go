package pginstall

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/localpg"
)

func TestEnsure(t *testing.T) {
	t.Parallel()
	const binDir = "/usr/lib/postgresql/15/bin"
	for _, tc := range []struct {
		name      string
		installed bool // binaries before
		euid      int
		apt       bool
		aptFails  bool
		wantRuns  []string // apt-get invocations
		wantDir   string
		wantErr   []string // substrings of the error
		// wantProgress is a substring of the progress output; empty: none.
		wantProgress string
	}{
		{name: "AlreadyInstalled", installed: true, euid: 1000, wantDir: binDir},
		{name: "RootWithAptInstalls", euid: 0, apt: true,
			wantRuns: []string{"apt-get update", "apt-get install -y --no-install-recommends postgresql"}, wantDir: binDir,
			wantProgress: "no PostgreSQL server binaries found; installing the distribution packages (apt-get install postgresql)"},
		{name: "NotRootSaysWhatToInstall", euid: 1000, apt: true,
			wantErr: []string{"not root", "apt-get install postgresql", "DATABASE_URL"}},
		{name: "RootWithoutApt", euid: 0,
			wantErr: []string{"no apt-get", "DATABASE_URL"}},
		{name: "InstallFailing", euid: 0, apt: true, aptFails: true,
			wantRuns: []string{"apt-get update"}, wantErr: []string{"apt-get update"},
			wantProgress: "installing the distribution packages (apt-get install postgresql)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			installed := tc.installed
			var runs []string
			m := machine{
				find: func() (string, error) {
					if installed {
						return binDir, nil
					}
					return "", localpg.ErrNoBinaries
				},
				euid: func() int { return tc.euid },
				lookPath: func(name string) (string, error) {
					if tc.apt {
						return "/usr/bin/" + name, nil
					}
					return "", errors.New("not found")
				},
				run: func(_ context.Context, _ io.Writer, name string, args ...string) error {
					runs = append(runs, name+" "+strings.Join(args, " "))
					if tc.aptFails {
						return errors.New("exit status 100")
					}
					if args[0] == "install" {
						installed = true
					}
					return nil
				},
			}
			var progress bytes.Buffer
			dir, err := m.ensure(context.Background(), &progress)
			require.Equal(t, tc.wantRuns, runs)
			if tc.wantProgress == "" {
				require.Empty(t, progress.String(), "nothing tried, nothing to say")
			} else {
				require.Contains(t, progress.String(), tc.wantProgress)
			}
			if tc.wantErr != nil {
				require.Error(t, err)
				for _, s := range tc.wantErr {
					require.Contains(t, err.Error(), s)
				}
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.wantDir, dir)
		})
	}
}

func TestEnsureTools(t *testing.T) {
	t.Parallel()
	// What each package puts on PATH.
	provides := map[string][]string{
		"prometheus": {"promtool", "prometheus"},
		"chromium":   {"chromium"},
	}
	everything := []string{"promtool", "prometheus", "chromium"}
	for _, tc := range []struct {
		name        string
		onPath      []string // before (apt-get is there when apt is set)
		euid        int
		apt         bool
		aptFails    bool
		brokenPkgs  bool     // install succeeds but puts nothing on PATH
		wantRuns    []string // apt-get invocations
		wantErr     []string // substrings of the error
		wantMissing bool     // the error is errToolsMissing: nothing was tried
	}{
		{name: "AllPresent", onPath: everything, euid: 1000},
		{name: "AnotherChromiumWillDo", onPath: []string{"promtool", "prometheus", "google-chrome"}, euid: 1000},
		{name: "RootWithAptInstallsAllMissingInOneRun", euid: 0, apt: true,
			wantRuns: []string{"apt-get update", "apt-get install -y --no-install-recommends prometheus chromium"}},
		{name: "OnlyTheMissingPackage", onPath: []string{"promtool", "prometheus"}, euid: 0, apt: true,
			wantRuns: []string{"apt-get update", "apt-get install -y --no-install-recommends chromium"}},
		{name: "HalfAPackageIsMissing", onPath: []string{"prometheus", "chromium"}, euid: 0, apt: true,
			wantRuns: []string{"apt-get update", "apt-get install -y --no-install-recommends prometheus"}},
		{name: "NotRootSaysWhatToInstall", onPath: []string{"chromium"}, euid: 1000, apt: true,
			wantErr: []string{"not root", "promtool, prometheus not found", "apt-get install prometheus", "skip"}, wantMissing: true},
		{name: "RootWithoutApt", euid: 0,
			wantErr: []string{"no apt-get", "apt-get install prometheus chromium"}, wantMissing: true},
		{name: "InstallFailing", euid: 0, apt: true, aptFails: true,
			wantRuns: []string{"apt-get update"}, wantErr: []string{"apt-get update", "exit status 100"}},
		{name: "StillMissingAfterInstall", onPath: []string{"promtool", "prometheus"}, euid: 0, apt: true, brokenPkgs: true,
			wantRuns: []string{"apt-get update", "apt-get install -y --no-install-recommends chromium"},
			wantErr:  []string{"after installing chromium, still not found: chromium|chromium-browser|google-chrome"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := map[string]bool{}
			for _, c := range tc.onPath {
				path[c] = true
			}
			var runs []string
			m := machine{
				euid: func() int { return tc.euid },
				lookPath: func(name string) (string, error) {
					if path[name] || name == "apt-get" && tc.apt {
						return "/usr/bin/" + name, nil
					}
					return "", errors.New("not found")
				},
				run: func(_ context.Context, _ io.Writer, name string, args ...string) error {
					runs = append(runs, name+" "+strings.Join(args, " "))
					if tc.aptFails {
						return errors.New("exit status 100")
					}
					if args[0] == "install" && !tc.brokenPkgs {
						for _, pkg := range args[3:] {
							for _, c := range provides[pkg] {
								path[c] = true
							}
						}
					}
					return nil
				},
			}
			var progress bytes.Buffer
			err := m.ensureTools(context.Background(), &progress, TestTools)
			require.Equal(t, tc.wantRuns, runs)
			if tc.wantRuns != nil {
				require.Contains(t, progress.String(), "installing the distribution packages")
			} else {
				require.Empty(t, progress.String())
			}
			if tc.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, s := range tc.wantErr {
				require.Contains(t, err.Error(), s)
			}
			require.Equal(t, tc.wantMissing, errors.Is(err, errToolsMissing))
		})
	}
}
