// Package monitoring holds the checks on what spsync ships for monitoring,
// as tests; nothing here is built into a binary.
//
// What ships (README "Monitoring"):
//   - deploy/prometheus/alerts.yml: the alert rules (group "spsync"), each
//     with a severity (page or ticket) and a runbook_url pointing at its
//     README heading;
//   - deploy/prometheus/alerts_test.yml: their promtool unit tests;
//   - deploy/prometheus/prometheus.yml and deploy/grafana/: the Prometheus
//     and Grafana configuration docker-compose.yml's "monitoring" profile
//     mounts, and the dashboard.
//
// What the tests check:
//   - promtool_test.go: `promtool check rules` accepts the rules and
//     `promtool test rules` passes; every alert has at least one firing
//     case (exp_alerts not empty) and one quiet case (exp_alerts empty),
//     and no test names an alert that does not exist (promtool would
//     accept a quiet case of a misspelled alert); every alert has a
//     severity, a summary, a description and a runbook_url whose anchor is
//     a heading of README.md. From docker-compose.yml: every host file the
//     monitoring profile mounts exists and is mounted read-only, its ports
//     are published on the loopback only, Prometheus' configuration passes
//     `promtool check config` with the files where the container sees them,
//     it scrapes job "spsync" at the worker service, and Grafana's data
//     source and dashboard provider point at what compose provides.
//   - live_test.go: the dashboard's panel queries and every alert
//     expression against a real Prometheus scraping a real worker.
//
// promtool and prometheus come from Debian's prometheus package; `make
// test` installs it when it runs as root on Debian (internal/devtools/withpg
// -tools). A test that needs one and does not find it fails under CI=true
// and skips elsewhere, naming the install command.
package monitoring
