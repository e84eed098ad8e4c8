package seal

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// skipOnWindows skips tests of Unix permission bits.
func skipOnWindows(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permission bits on Windows")
	}
}

// checkOnlyFile fails unless path is the only entry of its directory: no
// temporary file is left behind.
func checkOnlyFile(t *testing.T, path string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != filepath.Base(path) {
		t.Fatalf("directory holds %v, want only %s", entries, filepath.Base(path))
	}
}

func TestLoadKeyFileCreate(t *testing.T) {
	skipOnWindows(t)
	path := filepath.Join(t.TempDir(), "keyhouse.secret")
	key, created, err := LoadKeyFile(path, true)
	if err != nil || !created || len(key) != 32 {
		t.Fatalf("LoadKeyFile = %d bytes, %v, %v; want 32 bytes, created", len(key), created, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Fatalf("mode %04o, want 0600", perm)
	}
	data, _ := os.ReadFile(path)
	if string(data) != hex.EncodeToString(key)+"\n" {
		t.Fatalf("file holds %q, want the hex of the key", data)
	}
	checkOnlyFile(t, path)
	for _, create := range []bool{false, true} {
		again, created, err := LoadKeyFile(path, create)
		if err != nil || created || !bytes.Equal(again, key) {
			t.Fatalf("LoadKeyFile(create=%v) = %x, %v, %v; want the same key", create, again, created, err)
		}
	}
	other, _, _ := LoadKeyFile(filepath.Join(t.TempDir(), "k"), true)
	if bytes.Equal(other, key) {
		t.Fatal("two created keys are equal")
	}
}

func TestLoadKeyFileMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.secret")
	key, created, err := LoadKeyFile(path, false)
	if !errors.Is(err, fs.ErrNotExist) || key != nil || created || !strings.Contains(err.Error(), path) {
		t.Fatalf("LoadKeyFile = %x, %v, %v; want a not-exist error naming the path", key, created, err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("LoadKeyFile(create=false) created the file")
	}
	_, _, err = LoadKeyFile(filepath.Join(t.TempDir(), "no", "dir"), true)
	if err == nil {
		t.Fatal("created a file in a missing directory")
	}
}

func TestLoadKeyFileExisting(t *testing.T) {
	skipOnWindows(t)
	hex32 := strings.Repeat("a1", 32)
	tests := []struct {
		name    string
		content string
		mode    fs.FileMode
		want    string // the key in hex; "" for an error
		errText string
	}{
		{"plain", hex32, 0o600, hex32, ""},
		{"white space", " \n\t" + hex32 + "\r\n\n", 0o600, hex32, ""},
		{"upper case", strings.ToUpper(hex32), 0o600, hex32, ""},
		{"64 bytes", hex32 + hex32, 0o600, hex32 + hex32, ""},
		{"read-only", hex32, 0o400, hex32, ""},
		{"world-readable", hex32, 0o644, "", "chmod 600"},
		{"group-readable", hex32, 0o640, "", "chmod 600"},
		{"others-readable", hex32, 0o604, "", "chmod 600"},
		{"group-writable", hex32, 0o620, "", "chmod 600"},
		{"31 bytes", hex32[:62], 0o600, "", "at least 32"},
		{"empty", "", 0o600, "", "at least 32"},
		{"odd length", hex32 + "b", 0o600, "", "not hexadecimal"},
		{"not hex", "my-secret-passphrase-" + hex32, 0o600, "", "not hexadecimal"},
		{"inner space", hex32[:32] + " " + hex32[32:], 0o600, "", "not hexadecimal"},
		{"too large", strings.Repeat(hex32, 70), 0o600, "", "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "keyhouse.secret")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil { // whatever the umask
				t.Fatal(err)
			}
			for _, create := range []bool{false, true} {
				key, created, err := LoadKeyFile(path, create)
				checkLoaded(t, path, tt.content, tt.want, tt.errText, key, created, err)
			}
			if data, _ := os.ReadFile(path); string(data) != tt.content {
				t.Fatal("LoadKeyFile changed an existing file")
			}
		})
	}
}

// checkLoaded checks one LoadKeyFile result against an expected key (hex)
// or error text. Errors must name the path and never quote the content.
func checkLoaded(t *testing.T, path, content, want, errText string, key []byte, created bool, err error) {
	t.Helper()
	if created {
		t.Fatal("created = true for an existing file")
	}
	if want != "" {
		if err != nil || hex.EncodeToString(key) != want {
			t.Fatalf("LoadKeyFile = %x, %v; want %s", key, err, want)
		}
		return
	}
	if err == nil || key != nil {
		t.Fatalf("LoadKeyFile = %x, %v; want an error", key, err)
	}
	msg := err.Error()
	if !strings.Contains(msg, errText) || !strings.Contains(msg, path) {
		t.Fatalf("error %q: want %q and the path", msg, errText)
	}
	if c := strings.TrimSpace(content); len(c) >= 16 && (strings.Contains(msg, c[:16]) || strings.Contains(msg, c[len(c)-16:])) {
		t.Fatalf("error %q quotes the file", msg)
	}
}

func TestLoadKeyFileDirectory(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := LoadKeyFile(dir, true); err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("LoadKeyFile(directory) = %v, want an error naming it", err)
	}
}

func TestLoadKeyFileConcurrentCreate(t *testing.T) {
	for range 20 {
		path := filepath.Join(t.TempDir(), "keyhouse.secret")
		const n = 16
		keys := make([][]byte, n)
		created := make([]bool, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { keys[i], created[i], errs[i] = LoadKeyFile(path, true) })
		}
		wg.Wait()
		creators := 0
		for i := range n {
			if errs[i] != nil || !bytes.Equal(keys[i], keys[0]) || len(keys[i]) != 32 {
				t.Fatalf("process %d: %x, %v; want the key of the others", i, keys[i], errs[i])
			}
			if created[i] {
				creators++
			}
		}
		if creators != 1 {
			t.Fatalf("%d callers report having created the file, want 1", creators)
		}
		checkOnlyFile(t, path)
	}
}

func TestWriteExclusive(t *testing.T) {
	skipOnWindows(t)
	path := filepath.Join(t.TempDir(), "keyhouse.secret")
	key := bytes.Repeat([]byte{0xab}, 32)
	if err := writeExclusive(path, key); err != nil {
		t.Fatal(err)
	}
	if err := writeExclusive(path, make([]byte, 32)); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second writeExclusive = %v, want ErrExist", err)
	}
	got, created, err := LoadKeyFile(path, false)
	if err != nil || created || !bytes.Equal(got, key) {
		t.Fatalf("LoadKeyFile = %x, %v, %v; want the first key", got, created, err)
	}
}
