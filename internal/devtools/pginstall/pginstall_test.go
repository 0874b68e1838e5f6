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
	}{
		{name: "AlreadyInstalled", installed: true, euid: 1000, wantDir: binDir},
		{name: "RootWithAptInstalls", euid: 0, apt: true,
			wantRuns: []string{"apt-get update", "apt-get install -y --no-install-recommends postgresql"}, wantDir: binDir},
		{name: "NotRootSaysWhatToInstall", euid: 1000, apt: true,
			wantErr: []string{"not root", "apt-get install postgresql", "DATABASE_URL"}},
		{name: "RootWithoutApt", euid: 0,
			wantErr: []string{"no apt-get", "DATABASE_URL"}},
		{name: "InstallFailing", euid: 0, apt: true, aptFails: true,
			wantRuns: []string{"apt-get update"}, wantErr: []string{"apt-get update"}},
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
