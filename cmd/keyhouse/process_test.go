package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// buildKeyhouse returns this package's binary, built once per test run
// into a folder that TestMain removes.
func buildKeyhouse(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs keyhouse processes")
	}
	binary.once.Do(func() {
		binary.path = filepath.Join(binDir, "keyhouse")
		if out, err := exec.Command("go", "build", "-o", binary.path, ".").CombinedOutput(); err != nil {
			binary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

var (
	binDir string // the test run's folder for the binary
	binary struct {
		once sync.Once
		path string
		err  error
	}
)

// TestMain makes and removes the folder of the binary the process tests
// run.
func TestMain(m *testing.M) {
	var err error
	if binDir, err = os.MkdirTemp("", "keyhouse-bin-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(binDir)
	os.Exit(code)
}
