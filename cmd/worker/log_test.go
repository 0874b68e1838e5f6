package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
)

// TestLogs runs the worker binary the way people and machines do: on a
// terminal (a pty) it writes text lines and none of River's routine
// chatter at the default level; SPSYNC_LOG_FORMAT=json on the terminal
// writes the same events as JSON; on pipes (a service, a container, a log
// shipper) it writes JSON, as it always did.
func TestLogs(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "worker")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "build worker:\n%s", out)

	// The events of a --once round, in order, whatever the format.
	onceEvents := []string{"worker started", "once: polls queued; waiting for them and their follow-ups", "once: done",
		"stopping: finishing running jobs", "worker stopped"}
	for _, tc := range []struct {
		name     string
		terminal bool
		env      []string
		format   string // every log line's
		level    string // the lowest level written
		river    bool   // River's lines (at DEBUG) are in the log
	}{
		{name: "terminal: text, no River chatter", terminal: true, format: "text", level: "INFO"},
		{name: "terminal with SPSYNC_LOG_FORMAT=json", terminal: true, env: []string{"SPSYNC_LOG_FORMAT=json"}, format: "json", level: "INFO"},
		{name: "pipes: JSON as before", format: "json", level: "INFO"},
		{name: "pipes with SPSYNC_LOG_FORMAT=text", env: []string{"SPSYNC_LOG_FORMAT=text"}, format: "text", level: "INFO"},
		// River's chatter is still there at debug: its absence above is the
		// demotion, not River being quiet.
		{name: "terminal at debug: River's lines come back", terminal: true, env: []string{"SPSYNC_LOG_LEVEL=debug"}, format: "text", level: "DEBUG", river: true},
		{name: "terminal at warn: no INFO lines", terminal: true, env: []string{"SPSYNC_LOG_LEVEL=warn"}, format: "text", level: "WARN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := logTestEnv(t, tc.env...)
			var p *loggedRun
			if tc.terminal {
				p = startOnPTY(t, bin, env, "run", "--once")
			} else {
				p = startOnPipes(t, bin, env, "run", "--once")
			}
			code := p.wait(t, 2*time.Minute)
			output := p.output()
			require.Equal(t, 0, code, "output:\n%s", output)
			recs, other := parseLog(t, output)
			require.Contains(t, strings.Join(other, "\n"), "spsync worker: one round of every poller", "the banner, on stdout")

			var msgs []string
			for _, r := range recs {
				require.Equal(t, tc.format, r.format, "every log line in %s: %s", tc.format, r.line)
				require.GreaterOrEqual(t, levelRank(r.level), levelRank(tc.level), "nothing below %s: %s", tc.level, r.line)
				if isRiver(r.msg) && levelRank(r.level) < levelRank("WARN") {
					require.True(t, tc.river, "River chatter at the default level: %s", r.line)
					require.Equal(t, "DEBUG", r.level, "River's INFO goes to DEBUG: %s", r.line)
				}
				msgs = append(msgs, r.msg)
			}
			if tc.level == "WARN" {
				require.NotContains(t, output, "worker started", "an INFO line at warn")
				return
			}
			requireInOrder(t, msgs, onceEvents)
			if tc.river {
				require.Contains(t, output, `level=DEBUG msg="River client started"`)
			}
		})
	}

	// A running worker's River logs each queue's job counts every 5 s
	// while its jobs run. Two workers start side by side on terminals, at
	// the default level and at debug; once the debug one has logged the
	// poll queue's counts at two ticks, the default one (started first,
	// polling as often) has had its producers report too: none of it may
	// show there.
	t.Run("running on a terminal: no producer job counts", func(t *testing.T) {
		t.Parallel()
		crons := []string{"SPSYNC_ORDERS_CRON=@every 2s", "SPSYNC_SERVICE_JOBS_CRON=@every 2s", "SPSYNC_FULFILLMENT_ORDERS_CRON=@every 2s"}
		quiet := startOnPTY(t, bin, logTestEnv(t, crons...), "run")
		quiet.waitFor(t, regexp.MustCompile(`level=INFO msg="worker started"`), 1, time.Minute)
		chatty := startOnPTY(t, bin, logTestEnv(t, append(crons, "SPSYNC_LOG_LEVEL=debug")...), "run")
		chatty.waitFor(t, regexp.MustCompile(`level=DEBUG msg="producer: Producer job counts" .*queue=poll`), 2, time.Minute)
		for _, p := range []*loggedRun{quiet, chatty} {
			require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
			require.Equal(t, 0, p.wait(t, time.Minute), "output:\n%s", p.output())
		}

		recs, _ := parseLog(t, quiet.output())
		seen := map[string]int{}
		for _, r := range recs {
			require.Equal(t, "text", r.format, r.line)
			require.False(t, isRiver(r.msg) && levelRank(r.level) < levelRank("WARN"), "River chatter at the default level: %s", r.line)
			require.NotEqual(t, "DEBUG", r.level, r.line)
			seen[r.msg]++
		}
		requireInOrder(t, msgsOf(recs), []string{"worker started", "stopping: finishing running jobs", "worker stopped"})
		// One line per notable event, not per job: polls ran every 2 s,
		// and no line repeats with them.
		for msg, n := range seen {
			require.LessOrEqual(t, n, 2, "%q logged %d times: a line per job?\n%s", msg, n, quiet.output())
		}
		t.Logf("default level: %d lines in %d bytes; debug level: %d bytes", len(recs), len(quiet.output()), len(chatty.output()))
	})
}

// logTestEnv is the environment of a worker under test: this process's,
// without spsync's, SP-API's and LWA's variables (a developer's shell may
// set them), on a fresh database with the simulator fast.
func logTestEnv(t *testing.T, extra ...string) []string {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "SPSYNC_") || strings.HasPrefix(k, "SPAPI_") || strings.HasPrefix(k, "LWA_") || k == "DATABASE_URL" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "DATABASE_URL="+dbtest.NewURL(t), "SPSYNC_HTTP_ADDR=127.0.0.1:0", "SPSYNC_SIM_RATE_SCALE=600")
	return append(env, extra...)
}

// loggedRun is a worker process whose output (stdout and stderr, as a
// terminal shows them) is collected.
type loggedRun struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	buf  bytes.Buffer
	grew chan struct{} // a value after every write
	done chan struct{} // closed once the process exited and its output is read
	err  error
}

func (p *loggedRun) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n, err := p.buf.Write(b)
	select {
	case p.grew <- struct{}{}:
	default:
	}
	return n, err
}

// output is what the process wrote so far, without a terminal's carriage
// returns.
func (p *loggedRun) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.ReplaceAll(p.buf.String(), "\r\n", "\n")
}

// startOnPTY starts bin with a new pseudo-terminal as its stdin, stdout
// and stderr.
func startOnPTY(t *testing.T, bin string, env []string, args ...string) *loggedRun {
	t.Helper()
	p := &loggedRun{cmd: exec.Command(bin, args...), grew: make(chan struct{}, 1), done: make(chan struct{})}
	p.cmd.Env = env
	ptmx, err := pty.Start(p.cmd) // closes its copy of the terminal's side
	require.NoError(t, err)
	go func() {
		// The terminal's side closes when the process exits: the read
		// then ends (EIO on Linux) after the last output.
		_, _ = io.Copy(p, ptmx)
		p.err = p.cmd.Wait()
		ptmx.Close()
		close(p.done)
	}()
	t.Cleanup(func() { p.kill() })
	return p
}

// startOnPipes starts bin with pipes for stdout and stderr, as a service
// manager or a container runtime does.
func startOnPipes(t *testing.T, bin string, env []string, args ...string) *loggedRun {
	t.Helper()
	p := &loggedRun{cmd: exec.Command(bin, args...), grew: make(chan struct{}, 1), done: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p, p
	require.NoError(t, p.cmd.Start())
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.kill() })
	return p
}

func (p *loggedRun) kill() {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// wait returns the exit code, failing t when the process still runs after
// timeout.
func (p *loggedRun) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		t.Fatalf("worker still running after %s:\n%s", timeout, p.output())
	}
	var exit *exec.ExitError
	if errors.As(p.err, &exit) {
		return exit.ExitCode()
	}
	require.NoError(t, p.err)
	return 0
}

// waitFor returns once re matches n lines of the output, failing t after
// timeout or when the process exits first.
func (p *loggedRun) waitFor(t *testing.T, re *regexp.Regexp, n int, timeout time.Duration) {
	t.Helper()
	count := func() int {
		c := 0
		for _, line := range strings.Split(p.output(), "\n") {
			if re.MatchString(line) {
				c++
			}
		}
		return c
	}
	deadline := time.After(timeout)
	for count() < n {
		select {
		case <-p.grew:
		case <-p.done:
			if count() >= n {
				return
			}
			t.Fatalf("worker exited before %s matched %d lines:\n%s", re, n, p.output())
		case <-deadline:
			t.Fatalf("%s did not match %d lines after %s:\n%s", re, n, timeout, p.output())
		}
	}
}

// logRecord is one log line.
type logRecord struct {
	format, level, msg, line string
}

var textRecord = regexp.MustCompile(`^time=\S+ level=(\S+) msg=("(?:[^"\\]|\\.)*"|\S*)`)

// parseLog splits output into log records (JSON or text lines) and the
// other lines (the banner).
func parseLog(t *testing.T, output string) (recs []logRecord, other []string) {
	t.Helper()
	for _, line := range strings.Split(output, "\n") {
		switch {
		case strings.HasPrefix(line, "{"):
			var r struct{ Level, Msg string }
			require.NoError(t, json.Unmarshal([]byte(line), &r), "a JSON line: %s", line)
			recs = append(recs, logRecord{"json", r.Level, r.Msg, line})
		case textRecord.MatchString(line):
			m := textRecord.FindStringSubmatch(line)
			msg := m[2]
			if strings.HasPrefix(msg, `"`) {
				var err error
				msg, err = strconv.Unquote(msg)
				require.NoError(t, err, line)
			}
			recs = append(recs, logRecord{"text", m[1], msg, line})
		case strings.TrimSpace(line) != "":
			other = append(other, line)
		}
	}
	return recs, other
}

// riverMessage matches the messages of River's components (River 0.51):
// its client, producers, job executor and completer, notifier, leader
// election, maintenance services, migrator and River UI's query cache.
var riverMessage = regexp.MustCompile(`^(River client |Client: |producer: |subscriptionManager: |(jobcompleter|jobexecutor|leadership|maintenance|notifier|querycacher|rivermigrate)\.)`)

func isRiver(msg string) bool { return riverMessage.MatchString(msg) }

func levelRank(l string) int {
	return map[string]int{"DEBUG": 0, "INFO": 1, "WARN": 2, "ERROR": 3}[l]
}

func msgsOf(recs []logRecord) []string {
	var msgs []string
	for _, r := range recs {
		msgs = append(msgs, r.msg)
	}
	return msgs
}

// requireInOrder fails unless want occur in msgs in that order.
func requireInOrder(t *testing.T, msgs, want []string) {
	t.Helper()
	i := 0
	for _, m := range msgs {
		if i < len(want) && m == want[i] {
			i++
		}
	}
	require.Equal(t, len(want), i, "events %q in order among:\n%s", want, strings.Join(msgs, "\n"))
}

// TestLogConfigErrors: a bad SPSYNC_LOG_FORMAT or SPSYNC_LOG_LEVEL stops
// the worker before it starts, like its other configuration errors (exit
// 2), naming the variable and the values it takes.
func TestLogConfigErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env  map[string]string
		want []string
	}{
		{map[string]string{"SPSYNC_LOG_LEVEL": "verbose"}, []string{`worker: config: SPSYNC_LOG_LEVEL: "verbose" is not a log level`, "debug, info, warn or error"}},
		{map[string]string{"SPSYNC_LOG_FORMAT": "logfmt"}, []string{`worker: config: SPSYNC_LOG_FORMAT: "logfmt" is not a log format`, "text or json"}},
	} {
		var stdout, stderr bytes.Buffer
		code := run(t.Context(), []string{"run"}, envOf(tc.env), &stdout, &stderr)
		require.Equal(t, 2, code, stderr.String())
		for _, w := range tc.want {
			require.Contains(t, stderr.String(), w)
		}
		require.Empty(t, stdout.String(), "no banner")
	}
}
