package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// BenchmarkStatusAtScale runs `worker status` (text, JSON, one account)
// in-process over 1,000 seeded accounts (statustest.Seed: 5,000 cursors,
// 10,000 buckets, push, polls, River jobs): the whole command, opening
// the database and checking its schema included. Issue 25 asks for under
// 2 s. It reports the output's bytes and lines. Process runs the built
// binary, as an operator does: process start included.
func BenchmarkStatusAtScale(b *testing.B) {
	env := statusEnv(b, 1000)
	for _, bc := range []struct {
		name string
		args []string
	}{
		{"Text", []string{"status"}},
		{"JSON", []string{"status", "--json"}},
		{"Account", []string{"status", "--account", "seller-0011"}},
		{"All", []string{"status", "--all"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var out bytes.Buffer
			for i := 0; i < b.N; i++ {
				out.Reset()
				if code := run(context.Background(), bc.args, envOf(env), &out, io.Discard); code != 0 {
					b.Fatalf("worker %v: exit %d", bc.args, code)
				}
			}
			b.ReportMetric(float64(out.Len()), "bytes")
			b.ReportMetric(float64(bytes.Count(out.Bytes(), []byte("\n"))), "lines")
		})
	}
	b.Run("Process", func(b *testing.B) {
		bin := filepath.Join(b.TempDir(), "worker")
		if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
			b.Fatalf("build worker: %v\n%s", err, out)
		}
		environ := os.Environ()
		for k, v := range env {
			environ = append(environ, k+"="+v)
		}
		b.ResetTimer()
		var out []byte
		for i := 0; i < b.N; i++ {
			cmd := exec.Command(bin, "status")
			cmd.Env = environ
			var err error
			if out, err = cmd.Output(); err != nil {
				b.Fatalf("worker status: %v", err)
			}
		}
		b.ReportMetric(float64(len(out)), "bytes")
	})
}
