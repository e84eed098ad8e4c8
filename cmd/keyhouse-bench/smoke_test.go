package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSmoke runs `keyhouse-bench -smoke` end to end: it builds this
// command and keyhouse, starts both servers, drives them with wrk and
// checks every acknowledged event. It needs wrk: skipped without it,
// except in CI.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end: not with -short")
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("wrk is not installed (apt-get install -y wrk): CI must run the load tool's smoke test")
		}
		t.Skip("wrk is not installed (apt-get install -y wrk)")
	}
	bin := filepath.Join(t.TempDir(), "keyhouse-bench")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-smoke", "-json", filepath.Join(t.TempDir(), "smoke.json"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("keyhouse-bench -smoke: %v\n%s", err, out)
	}
	for _, want := range []string{"token", "intake-batch", "verify-cached", "baseline", "ids)", "smoke: every request answered"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
