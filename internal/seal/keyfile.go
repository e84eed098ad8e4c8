package seal

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// Server-secret file limits: at least MinKeyFileBytes random bytes, hex
// encoded; a file larger than maxKeyFileSize is not a key file.
const (
	MinKeyFileBytes = 32
	maxKeyFileSize  = 4096
)

// LoadKeyFile reads the server secret from path: the hex encoding of at
// least 32 random bytes, surrounding white space ignored. The file must
// not be accessible to group or others.
//
// When the file does not exist and create is true, LoadKeyFile writes 32
// new random bytes there with mode 0600 and reports created. Creation is
// exclusive: when several processes race, one creates the file and every
// one of them returns its key. Errors name the path, never the content.
func LoadKeyFile(path string, create bool) (key []byte, created bool, err error) {
	key, err = readKeyFile(path)
	if err == nil || !create || !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}
	key, err = createKeyFile(path)
	if errors.Is(err, fs.ErrExist) { // another process created it first
		key, err = readKeyFile(path)
		return key, false, err
	}
	return key, err == nil, err
}

// readKeyFile reads and checks an existing server-secret file.
func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("server secret: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("server secret: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("server secret %s: not a regular file", path)
	}
	// Windows has no such permission bits: Go reports 0666 for every file.
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("server secret %s: mode %04o lets group or others access it; chmod 600 it", path, perm)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("server secret: %w", err)
	}
	defer clear(data)
	if len(data) > maxKeyFileSize {
		return nil, fmt.Errorf("server secret %s: larger than %d bytes", path, maxKeyFileSize)
	}
	text := bytes.TrimSpace(data)
	key := make([]byte, hex.DecodedLen(len(text)))
	// hex errors quote the offending byte: report without them.
	if _, err := hex.Decode(key, text); err != nil {
		return nil, fmt.Errorf("server secret %s: not hexadecimal", path)
	}
	if len(key) < MinKeyFileBytes {
		return nil, fmt.Errorf("server secret %s: %d bytes, want at least %d", path, len(key), MinKeyFileBytes)
	}
	return key, nil
}

// createKeyFile writes a new key to a temporary file next to path, makes
// it durable, then links it to path. The link fails when path exists, so
// creation is exclusive, and a reader never sees a half-written file.
func createKeyFile(path string) ([]byte, error) {
	key := make([]byte, MinKeyFileBytes)
	rand.Read(key)
	dir := filepath.Dir(path)
	// CreateTemp opens with O_CREATE|O_EXCL and mode 0600.
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return nil, fmt.Errorf("create server secret: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(hex.EncodeToString(key) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("create server secret %s: %w", path, err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("create server secret: %w", err)
		}
		// A file system without hard links: create path itself.
		if err := writeExclusive(path, key); err != nil {
			return nil, err
		}
	}
	syncDir(dir)
	return key, nil
}

// writeExclusive writes the hex of key to a new file at path, with
// O_EXCL and mode 0600. Unlike the link in createKeyFile, a process that
// loses the race may read the file before it is complete.
func writeExclusive(path string, key []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create server secret: %w", err)
	}
	_, err = f.WriteString(hex.EncodeToString(key) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("create server secret %s: %w", path, err)
	}
	return nil
}

// syncDir makes a new directory entry durable, where the system allows:
// Windows cannot sync a directory, and the file itself is already synced.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
