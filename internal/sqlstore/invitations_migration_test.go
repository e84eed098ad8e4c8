package sqlstore

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInvitationsMigration checks migration 0004 on a database with
// members: each membership gets an id of its own (not its user's) and its
// user's status and time, so that existing members keep signing in and
// invited ones stay pending.
func TestInvitationsMigration(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "keyhouse.db")+"?"+sqliteParams)
		if err != nil {
			t.Fatal(err)
		}
		testInvitationsMigration(t, New(db, SQLite))
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := os.Getenv("KEYHOUSE_TEST_POSTGRES")
		if dsn == "" {
			t.Skip("KEYHOUSE_TEST_POSTGRES is not set") // TestPostgres fails for it in CI
		}
		db, err := openPostgres(MustSchemaDSN(t, dsn))
		if err != nil {
			t.Fatal(err)
		}
		testInvitationsMigration(t, New(db, Postgres))
	})
}

func testInvitationsMigration(t *testing.T, s *Store) {
	ctx := t.Context()
	db := s.db
	defer s.Close()
	ms, err := s.d.migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:3] {
		if err := s.apply(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{
		`INSERT INTO organizations (id, name, state, created_at) VALUES ('org_1', 'One', 'active', 1), ('org_2', 'Two', 'active', 1)`,
		`INSERT INTO users (id, email, status, created_at) VALUES ('usr_a', 'a@example.com', 'active', 5), ('usr_p', 'p@example.com', 'pending', 7)`,
		`INSERT INTO memberships (org_id, user_id, roles) VALUES ('org_1', 'usr_a', 'owner'), ('org_2', 'usr_a', 'view'), ('org_1', 'usr_p', 'view')`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, `SELECT id, org_id, user_id, status, created_at FROM memberships ORDER BY org_id, user_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	ids := map[string]bool{}
	for rows.Next() {
		var id, org, user, status string
		var created int64
		if err := rows.Scan(&id, &org, &user, &status, &created); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(id, "mem_") || len(id) != 24 || ids[id] {
			t.Errorf("membership %s/%s has id %q; want a fresh mem_ id", org, user, id)
		}
		ids[id] = true
		got = append(got, org+"/"+user+"/"+status+"/"+string(rune('0'+created)))
	}
	want := "org_1/usr_a/active/5 org_1/usr_p/pending/7 org_2/usr_a/active/5"
	if strings.Join(got, " ") != want {
		t.Errorf("memberships after the migration = %v; want %s", got, want)
	}
}
