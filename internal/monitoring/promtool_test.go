package monitoring

import (
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// The shipped files, from this package's directory (go test runs a
// package's tests there).
const (
	repoDir           = "../.."
	rulesFile         = repoDir + "/deploy/prometheus/alerts.yml"
	ruleTestsFile     = repoDir + "/deploy/prometheus/alerts_test.yml"
	composeFile       = repoDir + "/docker-compose.yml"
	readmeFile        = repoDir + "/README.md"
	monitoringProfile = "monitoring"
	// runbookBase is where every runbook_url points: the README's
	// headings, by GitHub's anchors.
	runbookBase = "https://github.com/spsync/spsync/blob/main/README.md#"
)

// wantAlerts are the alert names fixed by the design: dashboards,
// Alertmanager routes and the README refer to them, so none may vanish or
// be renamed unnoticed.
var wantAlerts = []string{
	"SpsyncSyncLagHigh", "SpsyncSyncLagGrowing", "SpsyncAccountNeedsReauth",
	"SpsyncClientSecretExpiresSoon", "SpsyncClientSecretExpiryWarning", "SpsyncClientSecretExpiryUnknown",
	"SpsyncSecretRotationStuck", "SpsyncClientSecretsAllRefused", "SpsyncPermissionDenied",
	"SpsyncRecordsQuarantined", "SpsyncPushNotificationsLost", "SpsyncThrottled",
	"SpsyncJobsFailedForGood", "SpsyncPeriodicInsertFailing", "SpsyncWorkerDown",
}

// promtoolPath finds Debian's promtool. Missing, it fails the test under
// CI=true (the rules must not pass untested) and skips it elsewhere with
// the command that installs it.
func promtoolPath(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err == nil {
		return path
	}
	msg := "promtool not found in PATH: install it with `apt-get install prometheus` (make test does so when root on Debian)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// promtool runs promtool with args and fails the test with its output
// when it exits non-zero.
func promtool(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(promtoolPath(t), args...).CombinedOutput()
	require.NoError(t, err, "promtool %s:\n%s", strings.Join(args, " "), out)
	return string(out)
}

// TestAlertRules: the rules load, and their unit tests (a firing and a
// quiet synthetic series per alert) pass.
func TestAlertRules(t *testing.T) {
	t.Parallel()
	t.Run("CheckRules", func(t *testing.T) {
		t.Parallel()
		out := promtool(t, "check", "rules", rulesFile)
		require.Contains(t, out, fmt.Sprintf("SUCCESS: %d rules found", len(readRules(t))))
	})
	t.Run("TestRules", func(t *testing.T) {
		t.Parallel()
		require.Contains(t, promtool(t, "test", "rules", ruleTestsFile), "SUCCESS")
	})
}

// ruleSpec is an alerting rule as alerts.yml writes it.
type ruleSpec struct {
	Alert       string            `yaml:"alert"`
	Record      string            `yaml:"record"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// readRules reads alerts.yml: it holds one group, "spsync".
func readRules(t *testing.T) []ruleSpec {
	t.Helper()
	raw, err := os.ReadFile(rulesFile)
	require.NoError(t, err)
	var file struct {
		Groups []struct {
			Name  string     `yaml:"name"`
			Rules []ruleSpec `yaml:"rules"`
		} `yaml:"groups"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &file), rulesFile)
	require.Len(t, file.Groups, 1, "%s: one group", rulesFile)
	require.Equal(t, "spsync", file.Groups[0].Name)
	return file.Groups[0].Rules
}

// TestAlertsHaveCasesAndRunbooks: each alert is tested both ways, is
// routable by severity and links to its runbook.
func TestAlertsHaveCasesAndRunbooks(t *testing.T) {
	t.Parallel()
	rules := readRules(t)

	raw, err := os.ReadFile(ruleTestsFile)
	require.NoError(t, err)
	var tests struct {
		RuleFiles []string `yaml:"rule_files"`
		Tests     []struct {
			Name          string `yaml:"name"`
			AlertRuleTest []struct {
				EvalTime  string           `yaml:"eval_time"`
				AlertName string           `yaml:"alertname"`
				ExpAlerts []map[string]any `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &tests), ruleTestsFile)
	require.Equal(t, []string{filepath.Base(rulesFile)}, tests.RuleFiles, "the tests load the shipped rules")

	firing, quiet := map[string]int{}, map[string]int{}
	for _, tc := range tests.Tests {
		for _, at := range tc.AlertRuleTest {
			if len(at.ExpAlerts) > 0 {
				firing[at.AlertName]++
			} else {
				quiet[at.AlertName]++
			}
		}
	}

	var names []string
	for _, r := range rules {
		require.Empty(t, r.Record, "%s: recording rules belong elsewhere; the tests here are about alerts", rulesFile)
		names = append(names, r.Alert)
		t.Run(r.Alert, func(t *testing.T) {
			require.Positive(t, firing[r.Alert], "no test case where %s fires (an alert_rule_test with exp_alerts)", r.Alert)
			require.Positive(t, quiet[r.Alert], "no test case where %s stays quiet (an alert_rule_test with exp_alerts: [])", r.Alert)
			require.Contains(t, []string{"page", "ticket"}, r.Labels["severity"], "labels.severity")
			require.NotEmpty(t, r.Annotations["summary"], "annotations.summary")
			require.NotEmpty(t, r.Annotations["description"], "annotations.description")
			require.Equal(t, runbookBase+strings.ToLower(r.Alert), r.Annotations["runbook_url"],
				"the runbook is the README heading named as the alert")
		})
	}
	require.ElementsMatch(t, wantAlerts, names, "the alerts of the design (README, dashboards and routes name them)")
	for name := range firing {
		require.Contains(t, names, name, "%s tests an alert that does not exist", ruleTestsFile)
	}
	for name := range quiet {
		// A quiet case of a misspelled alert passes in promtool and tests
		// nothing.
		require.Contains(t, names, name, "%s tests an alert that does not exist", ruleTestsFile)
	}
}

// TestRunbooksInREADME: every runbook_url's anchor is a heading of
// README.md, so the link an alert carries opens its runbook.
func TestRunbooksInREADME(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(readmeFile)
	require.NoError(t, err)
	anchors := headingAnchors(string(readme))
	for _, r := range readRules(t) {
		anchor := strings.TrimPrefix(r.Annotations["runbook_url"], runbookBase)
		require.Truef(t, anchors[anchor], "README.md has no heading with anchor #%s (the runbook of %s): add a heading %q under Monitoring", anchor, r.Alert, r.Alert)
	}
}

func TestHeadingAnchors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		doc  string
		want []string
	}{
		{"## Monitoring\n#### SpsyncSyncLagHigh\n", []string{"monitoring", "spsyncsynclaghigh"}},
		{"### What Amazon really sends\n", []string{"what-amazon-really-sends"}},
		{"### Orders API 2026-01-01\n", []string{"orders-api-2026-01-01"}},
		{"## `worker status`: (it)\n", []string{"worker-status-it"}},
		{"```sh\n# not a heading\n```\n#nospace\n", nil},
	} {
		var got []string
		for a := range headingAnchors(tc.doc) {
			got = append(got, a)
		}
		require.ElementsMatch(t, tc.want, got, tc.doc)
	}
}

var headingLine = regexp.MustCompile(`^#{1,6}\s+(.+?)\s*#*\s*$`)

// headingAnchors returns the anchors GitHub gives a Markdown document's
// headings (lower case, punctuation but - and _ dropped, spaces as -);
// duplicates' -1 suffixes are not needed here.
func headingAnchors(doc string) map[string]bool {
	anchors := map[string]bool{}
	fenced := false
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		m := headingLine.FindStringSubmatch(line)
		if fenced || m == nil {
			continue
		}
		var b strings.Builder
		for _, r := range strings.ToLower(m[1]) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
				b.WriteRune(r)
			}
		}
		anchors[b.String()] = true
	}
	return anchors
}

// composeService is what the monitoring checks read of a compose service.
type composeService struct {
	Image       string            `yaml:"image"`
	Profiles    []string          `yaml:"profiles"`
	Environment map[string]string `yaml:"environment"`
	Ports       []string          `yaml:"ports"`
	Volumes     []yaml.Node       `yaml:"volumes"`
}

// mount is one entry of a service's volumes.
type mount struct {
	Source, Target string // Source: a host path (bind) or a volume name
	Bind, ReadOnly bool
}

// mounts reads a service's volumes in compose's short
// (SOURCE:TARGET[:MODE]) and long syntax.
func (s composeService) mounts(t *testing.T) []mount {
	t.Helper()
	var ms []mount
	for _, n := range s.Volumes {
		switch n.Kind {
		case yaml.ScalarNode:
			parts := strings.Split(n.Value, ":")
			require.GreaterOrEqual(t, len(parts), 2, "volume %q: SOURCE:TARGET[:MODE]", n.Value)
			m := mount{Source: parts[0], Target: parts[1]}
			m.Bind = strings.HasPrefix(m.Source, ".") || strings.HasPrefix(m.Source, "/") || strings.HasPrefix(m.Source, "~")
			if len(parts) > 2 {
				m.ReadOnly = slices.Contains(strings.Split(parts[2], ","), "ro")
			}
			ms = append(ms, m)
		case yaml.MappingNode:
			var long struct {
				Type     string `yaml:"type"`
				Source   string `yaml:"source"`
				Target   string `yaml:"target"`
				ReadOnly bool   `yaml:"read_only"`
			}
			require.NoError(t, n.Decode(&long))
			ms = append(ms, mount{Source: long.Source, Target: long.Target, Bind: long.Type == "bind", ReadOnly: long.ReadOnly})
		default:
			t.Fatalf("volume at line %d: neither a string nor a mapping", n.Line)
		}
	}
	return ms
}

// TestComposeMonitoringProfile: `docker compose --profile monitoring up`
// finds every file it mounts, and its Prometheus starts with a valid
// configuration that scrapes the worker and loads the rules; Grafana's
// provisioning points at that Prometheus and at the mounted dashboards.
func TestComposeMonitoringProfile(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(composeFile)
	require.NoError(t, err)
	var compose struct {
		Services map[string]composeService `yaml:"services"`
		Volumes  map[string]any            `yaml:"volumes"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &compose), composeFile)

	var promName, grafanaName string
	for name, s := range compose.Services {
		if !slices.Contains(s.Profiles, monitoringProfile) {
			continue
		}
		switch {
		case strings.HasPrefix(s.Image, "prom/prometheus:"):
			promName = name
		case strings.HasPrefix(s.Image, "grafana/grafana:"):
			grafanaName = name
		}
		for _, p := range s.Ports {
			require.Truef(t, strings.HasPrefix(p, "127.0.0.1:"), "service %s publishes %q beyond the loopback", name, p)
		}
		for _, m := range s.mounts(t) {
			if !m.Bind {
				require.Contains(t, compose.Volumes, m.Source, "service %s mounts volume %s, which is not declared", name, m.Source)
				continue
			}
			require.Truef(t, strings.HasPrefix(m.Source, "./"), "service %s mounts %s: keep host paths relative to the checkout", name, m.Source)
			_, err := os.Stat(filepath.Join(repoDir, m.Source))
			require.NoError(t, err, "service %s mounts %s, which does not exist", name, m.Source)
			require.Truef(t, m.ReadOnly, "service %s mounts %s writable: the container must not change the checkout", name, m.Source)
		}
	}
	require.NotEmpty(t, promName, "no prom/prometheus service in the %s profile", monitoringProfile)
	require.NotEmpty(t, grafanaName, "no grafana/grafana service in the %s profile", monitoringProfile)

	t.Run("PrometheusConfig", func(t *testing.T) {
		t.Parallel()
		// The files where the container sees them: check config resolves
		// rule_files relative to the configuration file.
		root := t.TempDir()
		for _, m := range compose.Services[promName].mounts(t) {
			if m.Bind {
				copyTree(t, filepath.Join(repoDir, m.Source), filepath.Join(root, m.Target))
			}
		}
		config := filepath.Join(root, "etc/prometheus/prometheus.yml")
		require.FileExists(t, config, "compose mounts no configuration at the image's /etc/prometheus/prometheus.yml")
		out := promtool(t, "check", "config", config)
		require.Contains(t, out, "is valid prometheus config file syntax")

		var cfg struct {
			RuleFiles     []string `yaml:"rule_files"`
			ScrapeConfigs []struct {
				JobName       string `yaml:"job_name"`
				MetricsPath   string `yaml:"metrics_path"`
				StaticConfigs []struct {
					Targets []string `yaml:"targets"`
				} `yaml:"static_configs"`
			} `yaml:"scrape_configs"`
		}
		b, err := os.ReadFile(config)
		require.NoError(t, err)
		require.NoError(t, yaml.Unmarshal(b, &cfg))
		// Relative, so the files checked here are the mounted ones and not
		// whatever this machine has under /etc/prometheus.
		require.NotEmpty(t, cfg.RuleFiles)
		for _, f := range cfg.RuleFiles {
			require.False(t, filepath.IsAbs(f), "rule_files: %s", f)
			rules, err := os.ReadFile(filepath.Join(filepath.Dir(config), f))
			require.NoError(t, err)
			shipped, err := os.ReadFile(rulesFile)
			require.NoError(t, err)
			require.Equal(t, string(shipped), string(rules), "rule file %s is not deploy/prometheus/alerts.yml", f)
		}

		// The alerts' job: the worker service, at its HTTP port.
		var targets []string
		for _, sc := range cfg.ScrapeConfigs {
			if sc.JobName != "spsync" {
				continue
			}
			require.Contains(t, []string{"", "/metrics"}, sc.MetricsPath)
			for _, st := range sc.StaticConfigs {
				targets = append(targets, st.Targets...)
			}
		}
		require.NotEmpty(t, targets, `no scrape job "spsync" (the alerts use up{job="spsync"})`)
		for _, target := range targets {
			host, port, err := net.SplitHostPort(target)
			require.NoError(t, err)
			worker, ok := compose.Services[host]
			require.Truef(t, ok, "scrape target %s: %s is not a compose service", target, host)
			_, httpPort, err := net.SplitHostPort(worker.Environment["SPSYNC_HTTP_ADDR"])
			require.NoError(t, err, "service %s: SPSYNC_HTTP_ADDR", host)
			require.Equal(t, httpPort, port, "scrape target %s: the worker listens on %s", target, httpPort)
		}
	})

	t.Run("GrafanaProvisioning", func(t *testing.T) {
		t.Parallel()
		mounts := compose.Services[grafanaName].mounts(t)
		hostPath := func(target string) (string, bool) {
			for _, m := range mounts {
				if m.Bind && m.Target == target {
					return filepath.Join(repoDir, m.Source), true
				}
			}
			return "", false
		}
		provisioned := map[string]string{} // kind (datasources, dashboards) → host file
		for _, m := range mounts {
			rel, err := filepath.Rel("/etc/grafana/provisioning", m.Target)
			if m.Bind && err == nil && !strings.HasPrefix(rel, "..") {
				provisioned[strings.Split(rel, string(filepath.Separator))[0]] = filepath.Join(repoDir, m.Source)
			}
		}

		var ds struct {
			Datasources []struct {
				Type string `yaml:"type"`
				URL  string `yaml:"url"`
			} `yaml:"datasources"`
		}
		readYAML(t, provisioned["datasources"], &ds)
		require.NotEmpty(t, ds.Datasources)
		for _, d := range ds.Datasources {
			require.Equal(t, "prometheus", d.Type)
			u, err := url.Parse(d.URL)
			require.NoError(t, err)
			require.Equal(t, promName, u.Hostname(), "the data source is not compose's Prometheus")
			require.Equal(t, "9090", u.Port())
		}

		var dash struct {
			Providers []struct {
				Type    string `yaml:"type"`
				Options struct {
					Path string `yaml:"path"`
				} `yaml:"options"`
			} `yaml:"providers"`
		}
		readYAML(t, provisioned["dashboards"], &dash)
		require.NotEmpty(t, dash.Providers)
		for _, p := range dash.Providers {
			require.Equal(t, "file", p.Type)
			dir, ok := hostPath(p.Options.Path)
			require.Truef(t, ok, "the dashboard provider reads %s, which compose does not mount", p.Options.Path)
			dashboards, err := filepath.Glob(filepath.Join(dir, "*.json"))
			require.NoError(t, err)
			require.NotEmpty(t, dashboards, "no dashboard JSON in %s", dir)
		}
	})
}

// readYAML decodes the YAML file at path into v; path empty means compose
// mounts no such file.
func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	require.NotEmpty(t, path, "compose mounts no such provisioning file")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(b, v), path)
}

// copyTree copies a file, or a directory with everything in it, to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	require.NoError(t, filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o644)
	}))
}
