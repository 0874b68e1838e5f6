package conformance

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/spsync/spsync/internal/devtools/npmtool"
)

// prismDir is the npm project of Prism, relative to the repository root.
const prismDir = "tools/prism"

// Prism is one `prism proxy` process.
type Prism struct {
	// URL is where it listens (http://127.0.0.1:PORT).
	URL string

	cmd      *exec.Cmd
	out      *npmtool.OutputBuffer
	done     chan struct{}
	stopOnce sync.Once
}

// StartPrism installs Prism when missing (npmtool), then runs `prism proxy
// specFile upstream --errors=false` on a free loopback port and waits until
// it accepts connections. With --errors=false Prism forwards every request,
// valid or not, and answers with upstream's answer plus an sl-violations
// header listing the rules broken. An error wrapping npmtool.ErrNoNode
// means node or npm is missing.
func StartPrism(ctx context.Context, repoRoot, specFile, upstream string) (*Prism, error) {
	node, err := npmtool.Node()
	if err != nil {
		return nil, err
	}
	project := filepath.Join(repoRoot, prismDir)
	cli := filepath.Join(project, "node_modules", "@stoplight", "prism-cli", "dist", "index.js")
	if err := npmtool.Install(ctx, project, cli); err != nil {
		return nil, err
	}
	// A free port can be taken between our probe and node's listen: try a
	// few.
	var lastErr error
	for range 3 {
		p, err := startPrismOn(ctx, node, cli, specFile, upstream)
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

func startPrismOn(ctx context.Context, node, cli, specFile, upstream string) (*Prism, error) {
	port, err := npmtool.FreePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(node, cli, "proxy", specFile, upstream, "--errors=false",
		"--host", "127.0.0.1", "--port", strconv.Itoa(port), "--cors=false", "--verboseLevel", "error")
	out := &npmtool.OutputBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start prism: %w", err)
	}
	p := &Prism{URL: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd, out: out, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	if err := p.waitListening(ctx, port, 2*time.Minute); err != nil {
		p.Stop()
		return nil, fmt.Errorf("%w; output: %s", err, out.String())
	}
	return p, nil
}

// waitListening dials the port until Prism accepts, node exits or the
// deadline passes. Prism listens only once it has loaded the document.
func (p *Prism) waitListening(ctx context.Context, port int, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	addr := "127.0.0.1:" + strconv.Itoa(port)
	for {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("prism exited before listening on %s", addr)
		case <-ctx.Done():
			return fmt.Errorf("prism did not listen on %s within %s: %w", addr, timeout, ctx.Err())
		case <-tick.C:
		}
	}
}

// Output is what Prism wrote lately (errors only), for failure messages.
func (p *Prism) Output() string { return p.out.String() }

// Exited reports whether the process has ended (Prism crashes on some
// inputs instead of answering).
func (p *Prism) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop kills the process group and waits for node to exit.
func (p *Prism) Stop() {
	p.stopOnce.Do(func() {
		if p.cmd.Process != nil {
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		}
		<-p.done
	})
}

// WriteSpec writes the merged document to a file in dir for StartPrism.
func (s *Spec) WriteSpec(dir string) (string, error) {
	file := filepath.Join(dir, "amazon-models-merged.json")
	return file, os.WriteFile(file, s.Document, 0o644)
}
