package main

import (
	"path/filepath"
	"testing"
)

// TestServeNumbersOutOfRange: serve refuses, naming the flag, numbers
// that pass as numbers but break what they become: NaN and infinite
// rates (NaN silently lifted the intake's limit), and counts whose
// products wrap round (--max-in-flight 2^62 made the intake's gate 0
// wide, so every event got 503, and 2^61 one of negative size, a panic; --gc-headroom near 2^44 MiB wrapped the soft
// memory limit to a few bytes, so the collector ran without end;
// --procs-per-cpu a million asked for millions of Go processors).
func TestServeNumbersOutOfRange(t *testing.T) {
	t.Setenv("GOMAXPROCS", "2") // serve leaves this test process's processors alone
	dir := t.TempDir()
	// No server secret: a value let through fails there instead (before
	// serving), and the test sees that message.
	serve := func(flag, value string) []string {
		return []string{"serve", "--addr", "127.0.0.1:0", "--db", "postgres://postgres@127.0.0.1:1/x",
			"--secret-file", filepath.Join(dir, "none"), flag, value}
	}
	cases := []badFlag{
		{"intake rate NaN", nil, serve("--intake-rate", "NaN"), "--intake-rate: must be a number, 0 or more"},
		{"intake rate infinite", nil, serve("--intake-rate", "+Inf"), "--intake-rate: must be a number, 0 or more"},
		{"intake rate NaN from the environment", map[string]string{"KEYHOUSE_INTAKE_RATE": "nan"}, serve("--mfa", "required"), "--intake-rate (from KEYHOUSE_INTAKE_RATE): must be a number, 0 or more"},
		{"requests in flight", nil, serve("--max-in-flight", "4611686018427387904"), "--max-in-flight: must be a whole number from 0 to 1000000"},
		{"GC headroom", nil, serve("--gc-headroom", "17592186044415"), "--gc-headroom: must be a whole number from 0 to 1048576"},
		{"processors per CPU", nil, serve("--procs-per-cpu", "1000000"), "--procs-per-cpu: must be a whole number from 1 to 64"},
		{"password hashes", nil, serve("--password-hashes", "1000000000000"), "--password-hashes: must be a whole number from 0 to 1024"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) { tt.refused(t) })
	}
	noFilesIn(t, dir)
}
