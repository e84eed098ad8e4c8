package main

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		name, stat string
		want       int64
		err        bool
	}{
		{"plain", "4242 (keyhouse) S 1 4242 4242 0 -1 4194560 1830 0 0 0 250 37 0 0 20 0 7 0 123 1000 50", 287, false},
		{"name with spaces and parentheses", "7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 0", 7, false},
		{"truncated", "7 (x) R 1 7", 0, true},
		{"no name", "7 x R", 0, true},
		{"not a number", "7 (x) R 1 7 7 0 -1 0 0 0 0 0 a 4 0", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatCPU([]byte(tt.stat))
			if (err != nil) != tt.err || got != tt.want {
				t.Errorf("= %d, %v; want %d, error %v", got, err, tt.want, tt.err)
			}
		})
	}
}

func TestParseVmHWM(t *testing.T) {
	got, err := parseVmHWM([]byte("Name:\tkeyhouse\nVmPeak:\t 1300000 kB\nVmHWM:\t  409600 kB\nVmRSS:\t  300000 kB\n"))
	if err != nil || got != 400<<20 {
		t.Errorf("= %d, %v; want %d", got, err, 400<<20)
	}
	if _, err := parseVmHWM([]byte("Name:\tx\n")); err == nil {
		t.Error("no VmHWM line: want an error")
	}
}

func TestOwnUsage(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	if _, err := cpuTime(os.Getpid()); err != nil {
		t.Error(err)
	}
	if rss, err := peakRSS(os.Getpid()); err != nil || rss <= 0 {
		t.Errorf("peakRSS = %d, %v", rss, err)
	}
}

func TestWithoutKeyhouseEnv(t *testing.T) {
	got := withoutKeyhouseEnv([]string{"PATH=/bin", "KEYHOUSE_DB=x.db", "HOME=/root", "KEYHOUSE_MFA=optional"})
	if want := []string{"PATH=/bin", "HOME=/root"}; !slices.Equal(got, want) {
		t.Errorf("= %q, want %q", got, want)
	}
}

func TestParseFlags(t *testing.T) {
	c, err := parseFlags(nil, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Keys, []int{1000}) || !slices.Equal(c.Conns, []int{64}) || len(c.Scenarios) != 4 ||
		c.Duration != 4*time.Second || c.Count || c.CheckIDs || !c.Baseline {
		t.Errorf("defaults = %+v", c)
	}
	c, err = parseFlags([]string{"-keys", "1000,100_000,1000000", "-c", "1,16,64,256", "-scenarios", "token"}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Keys, []int{1000, 100000, 1000000}) || !slices.Equal(c.Conns, []int{1, 16, 64, 256}) || !slices.Equal(c.Scenarios, []string{"token"}) {
		t.Errorf("lists = %v %v %v", c.Keys, c.Conns, c.Scenarios)
	}
	c, err = parseFlags([]string{"-smoke"}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if !c.CheckIDs || !c.Count || c.Duration != time.Second || c.Warmup != 0 {
		t.Errorf("smoke = %+v", c)
	}
	for _, args := range [][]string{{"-keys", "0"}, {"-c", "x"}, {"-scenarios", "nope"}, {"-duration", "500ms"}, {"stray"}} {
		if _, err := parseFlags(args, &strings.Builder{}); err == nil {
			t.Errorf("%q: want an error", args)
		}
	}
}

func TestParseProcStat(t *testing.T) {
	got, err := parseProcStat([]byte("cpu  100 5 50 9000 40 1 2 3 0 0\ncpu0 50 2 25 4500 20 0 1 1 0 0\n"))
	if err != nil || got != 161 {
		t.Errorf("= %d, %v; want 161 (idle and iowait left out)", got, err)
	}
	if _, err := parseProcStat([]byte("intr 1 2 3\n")); err == nil {
		t.Error("no cpu line: want an error")
	}
}
