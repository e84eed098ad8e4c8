package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestSystemdUnit checks deploy/keyhouse.service with systemd-analyze:
// `verify` finds nothing wrong (with ExecStart pointed at a built
// binary), and `security` rates its exposure at most 2.0 of 10.
func TestSystemdUnit(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("systemd-analyze is missing (apt-get install -y systemd)")
		}
		t.Skip("needs systemd-analyze")
	}
	unit, err := os.ReadFile("../../deploy/keyhouse.service")
	if err != nil {
		t.Fatal(err)
	}
	bin := buildKeyhouse(t)
	path := filepath.Join(t.TempDir(), "keyhouse.service")
	os.WriteFile(path, []byte(strings.ReplaceAll(string(unit), "/usr/local/bin/keyhouse", bin)), 0o644)
	if out, err := exec.Command(analyze, "verify", path).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, _ := exec.Command(analyze, "security", "--offline=true", path).CombinedOutput()
	m := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security said:\n%s", out)
	}
	if level, _ := strconv.ParseFloat(string(m[1]), 64); level > 2.0 {
		t.Errorf("exposure level %.1f, want at most 2.0:\n%s", level, out)
	}
	t.Logf("exposure level %s", m[1])
}
