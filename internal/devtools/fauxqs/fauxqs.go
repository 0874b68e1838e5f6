// Package fauxqs runs fauxqs (https://www.npmjs.com/package/fauxqs), a real
// SQS server that speaks the JSON protocol of aws-sdk-go-v2's sqs client, for
// tests (Start) and for `make run` with push enabled (Launch). It is
// development tooling and is not shipped.
//
// Why fauxqs: aws-sdk-go-v2/service/sqs (v1.28 and later) speaks only SQS's
// JSON protocol (X-Amz-Target: AmazonSQS.*), while goaws, the Go emulator,
// answers only the old XML query protocol. fauxqs 1.9.2 runs on Node 20
// (2.x needs Node 22.5) and implements long polling, visibility changes,
// batch deletes and redrive to a dead-letter queue.
//
// The package is pinned by tools/fauxqs/package-lock.json and installed
// there by npmtool (`npm ci` when node_modules is missing, under a file lock
// so two test processes install once). Without node, Start fails the test
// under CI=true and skips it elsewhere.
package fauxqs

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/spsync/spsync/internal/devtools/npmtool"
)

// Region and AccountID are what fauxqs puts in queue ARNs and URLs.
const (
	Region    = "us-east-1"
	AccountID = "000000000000"
)

// ErrNoNode reports that node or npm is not on PATH.
var ErrNoNode = npmtool.ErrNoNode

// dir is the npm project of fauxqs, relative to the repository root.
const dir = "tools/fauxqs"

// RepoRoot walks up from the working directory to the directory holding
// go.mod.
func RepoRoot() (string, error) { return npmtool.RepoRoot() }

// Launch installs fauxqs when missing, starts it on a free port and waits
// until it answers; stop kills it (and its process group). It is for `make
// run`; tests use Start.
func Launch(ctx context.Context, repoRoot string) (endpoint string, stop func(), err error) {
	p, err := launch(ctx, repoRoot)
	if err != nil {
		return "", nil, err
	}
	return p.endpoint, p.stop, nil
}

type process struct {
	endpoint string
	cmd      *exec.Cmd
	out      *npmtool.OutputBuffer
	done     chan struct{}
	stopOnce sync.Once
}

// stop kills the process group and waits for node to exit.
func (p *process) stop() {
	p.stopOnce.Do(func() {
		if p.cmd.Process != nil {
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		}
		<-p.done
	})
}

func launch(ctx context.Context, repoRoot string) (*process, error) {
	node, err := npmtool.Node()
	if err != nil {
		return nil, err
	}
	project := filepath.Join(repoRoot, dir)
	if err := npmtool.Install(ctx, project, filepath.Join(project, "node_modules", "fauxqs", "dist", "cli.js")); err != nil {
		return nil, err
	}
	// A free port can be taken between our probe and node's listen: try a
	// few.
	var lastErr error
	for range 3 {
		p, err := startOn(ctx, node, repoRoot)
		if err == nil {
			return p, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

func startOn(ctx context.Context, node, repoRoot string) (*process, error) {
	port, err := npmtool.FreePort()
	if err != nil {
		return nil, err
	}
	cli := filepath.Join(repoRoot, dir, "node_modules", "fauxqs", "dist", "cli.js")
	cmd := exec.Command(node, cli)
	cmd.Dir = filepath.Join(repoRoot, dir)
	cmd.Env = append(os.Environ(), "FAUXQS_PORT="+strconv.Itoa(port), "FAUXQS_LOGGER=false", "FAUXQS_DEFAULT_REGION="+Region)
	out := &npmtool.OutputBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start fauxqs: %w", err)
	}
	p := &process{endpoint: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd, out: out, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	if err := waitHealthy(ctx, p, 30*time.Second); err != nil {
		p.stop()
		return nil, fmt.Errorf("%w; output: %s", err, out.String())
	}
	return p, nil
}

// waitHealthy polls GET /health until it answers 200, node exits, or the
// deadline passes.
func waitHealthy(ctx context.Context, p *process, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.endpoint+"/health", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("fauxqs exited before answering /health")
		case <-ctx.Done():
			return fmt.Errorf("fauxqs did not answer %s/health within %s: %w", p.endpoint, timeout, ctx.Err())
		case <-tick.C:
		}
	}
}
