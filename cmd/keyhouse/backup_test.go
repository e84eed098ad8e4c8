package main

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/keyhousetest"
)

// TestBackupUnderLoad takes `keyhouse backup` of a live SQLite database
// while integrations send events, restores it as the README says (the
// copy as the database, the same secret file beside it), and starts
// keyhouse on it: every event acknowledged before the backup began is
// there, and the key still gets tokens.
func TestBackupUnderLoad(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "kh.db")
	secret := filepath.Join(dir, "kh.secret")
	apiKey := seedKey(t, db, secret)

	in := startServe(t, "--db", "sqlite:"+db, "--secret-file", secret)
	access := accessToken(t, in, apiKey)

	var mu sync.Mutex
	type ack struct {
		id string
		at time.Time
	}
	var acks []ack
	ctx, stopLoad := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				status, body := in.send(t, "/v1/events", "application/json", fmt.Sprintf(`{"worker":%d,"n":%d}`, w, i), map[string]string{"Authorization": "Bearer " + access})
				if status != http.StatusAccepted {
					continue
				}
				var out struct{ IDs []string }
				if json.Unmarshal([]byte(body), &out) == nil && len(out.IDs) == 1 {
					mu.Lock()
					acks = append(acks, ack{out.IDs[0], time.Now()})
					mu.Unlock()
				}
			}
		})
	}
	time.Sleep(500 * time.Millisecond)
	backup := filepath.Join(t.TempDir(), "backup.db")
	began := time.Now()
	if _, msg := cli(t, db, "backup", "--to", backup, "--secret-file", secret); msg != "" {
		t.Fatalf("backup: %s", msg)
	}
	time.Sleep(300 * time.Millisecond) // load goes on after the copy
	stopLoad()
	wg.Wait()
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(backup); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v", fi, err)
	}

	restored := filepath.Join(t.TempDir(), "keyhouse.db")
	copyFile(t, backup, restored)
	stored := storedEvents(t, restored)
	var before int
	for _, a := range acks {
		if a.at.Before(began) {
			before++
			if !stored[a.id] {
				t.Errorf("event %s, acknowledged before the backup began, is not in it", a.id)
			}
		}
	}
	if before == 0 {
		t.Fatal("no event was acknowledged before the backup began")
	}
	t.Logf("%d events acknowledged before the backup began, %d in all; the backup holds %d", before, len(acks), len(stored))

	again := startServe(t, "--db", "sqlite:"+restored, "--secret-file", secret)
	accessToken(t, again, apiKey)
	if err := again.stop(); err != nil {
		t.Fatal(err)
	}
}

// seedKey makes the database at db with an active organization, a client
// and a key, and the server secret file for it, and returns the API key.
func seedKey(t *testing.T, db, secretFile string) string {
	t.Helper()
	if err := os.WriteFile(secretFile, []byte(hex.EncodeToString(keyhousetest.Secret)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := keyhousetest.NewOn(t, "sqlite:"+db)
	owner := e.NewOrg(t, "acme")
	c := e.NewClient(t, owner)
	gen, err := e.Svc.GenerateKey(owner.Ctx, keyhouse.Sandbox, c.ClientID, "backup test")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Store.Close(); err != nil {
		t.Fatal(err)
	}
	return gen.APIKey
}

// accessToken exchanges apiKey for an access token at in.
func accessToken(t *testing.T, in *instance, apiKey string) string {
	t.Helper()
	status, body := in.send(t, "/as/token", "application/x-www-form-urlencoded", "grant_type=client_credentials",
		map[string]string{"Authorization": "Basic " + apiKey})
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if status != http.StatusOK || json.Unmarshal([]byte(body), &tok) != nil || tok.AccessToken == "" {
		t.Fatalf("token: %d %s", status, body)
	}
	return tok.AccessToken
}

// storedEvents returns the ids of the events in the SQLite database at path.
func storedEvents(t *testing.T, path string) map[string]bool {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT id FROM events`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	ids := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids[id] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// copyFile copies from to a new file to, mode 0600.
func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(to, ".db") {
		os.Remove(to + "-wal")
		os.Remove(to + "-shm")
	}
}
