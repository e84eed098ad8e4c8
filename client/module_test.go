package client_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// program is a program of another module that uses package client.
const program = `package main

import (
	"context"
	"fmt"

	"keyhouse/client"
)

func main() {
	c := client.New("http://127.0.0.1:8080", nil)
	in := client.NewIntegration("http://127.0.0.1:8080", "api-key", nil)
	fmt.Println(c.Session(), in.Tokens != nil, context.Background() != nil)
}
`

// TestImportFromAnotherModule builds a program of another module that
// imports keyhouse/client through a replace directive, as the README
// shows: package client must not import keyhouse's internal packages.
func TestImportFromAnotherModule(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(program), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"mod", "init", "example.com/orders"},
		{"mod", "edit", "-require=keyhouse@v0.0.0", "-replace=keyhouse=" + root},
		{"build", "-o", os.DevNull, "."},
	} {
		cmd := exec.Command(goTool, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %v: %v\n%s", args, err, out)
		}
	}
}
