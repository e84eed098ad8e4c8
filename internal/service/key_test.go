package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/keyhousetest"
	"keyhouse/internal/service"
)

func TestDescriptionRules(t *testing.T) {
	e := keyhousetest.New(t)
	owner := e.NewOrg(t, "acme")
	c := e.NewClient(t, owner)
	tests := []struct {
		name string
		desc string
		ok   bool
	}{
		{"empty", "", true},
		{"255 ASCII", strings.Repeat("a", 255), true},
		{"256 ASCII", strings.Repeat("a", 256), false},
		{"255 two-byte", strings.Repeat("é", 255), true},
		{"256 two-byte", strings.Repeat("é", 256), false},
		{"255 four-byte", strings.Repeat("🔑", 255), true},
		{"256 four-byte", strings.Repeat("🔑", 256), false},
		{"newline", "line\nbreak", false},
		{"tab", "a\tb", false},
		{"NUL", "a\x00b", false},
		{"C1 control", "a\u0085b", false},
		{"invalid UTF-8", "a\xffb", false},
		{"plain", "Checkout integration, EU store", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gen, err := e.Svc.GenerateKey(owner.Ctx, keyhouse.Sandbox, c.ClientID, tt.desc)
			if !tt.ok {
				keyhousetest.MustCode(t, err, keyhouse.EINVALID)
				if !strings.HasPrefix(keyhouse.ErrorMessage(err), "description: ") {
					t.Errorf("message %q does not name the field", keyhouse.ErrorMessage(err))
				}
				return
			}
			if err != nil {
				t.Fatalf("generate: %v", err)
			}
			defer e.Svc.DeleteKey(owner.Ctx, keyhouse.Sandbox, c.ClientID, gen.KeyID, c.ClientID)
			if got := *e.KeyOf(t, owner, gen.KeyID).Description; got != tt.desc {
				t.Errorf("stored description %q, want %q", got, tt.desc)
			}
		})
	}
	gen, err := e.Svc.GenerateKey(owner.Ctx, keyhouse.Sandbox, c.ClientID, "before")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run("edit "+tt.name, func(t *testing.T) {
			_, err := e.Svc.UpdateKeyDescription(owner.Ctx, keyhouse.Sandbox, c.ClientID, gen.KeyID, tt.desc)
			want := tt.desc
			if !tt.ok {
				keyhousetest.MustCode(t, err, keyhouse.EINVALID)
				want = "unchanged"
			} else if err != nil {
				t.Fatal(err)
			}
			if got := *e.KeyOf(t, owner, gen.KeyID).Description; got != want {
				t.Errorf("description after edit = %q, want %q", got, want)
			}
			e.Svc.UpdateKeyDescription(owner.Ctx, keyhouse.Sandbox, c.ClientID, gen.KeyID, "unchanged")
		})
	}
}

func TestLegacyKeys(t *testing.T) {
	e := keyhousetest.New(t)
	owner := e.NewOrg(t, "acme")
	c := e.NewClient(t, owner)
	legacy := "LEGACY-key-0123456789-abcdef"
	n, err := e.Svc.ImportLegacy(keyhousetest.Operator(owner.OrgID), keyhouse.Sandbox, c.ClientID, []string{legacy})
	if err != nil || n != 1 {
		t.Fatalf("import = %d, %v", n, err)
	}
	_, err = e.Svc.ImportLegacy(keyhousetest.Operator(owner.OrgID), keyhouse.Sandbox, c.ClientID, []string{legacy})
	keyhousetest.MustCode(t, err, keyhouse.ECONFLICT)
	_, err = e.Svc.ImportLegacy(keyhousetest.Operator(owner.OrgID), keyhouse.Sandbox, c.ClientID, []string{"short"})
	keyhousetest.MustCode(t, err, keyhouse.EINVALID)
	if strings.Contains(err.Error(), "short") {
		t.Errorf("error echoes the key: %v", err)
	}

	k, err := e.Svc.AuthenticateBasic(context.Background(), legacy)
	if err != nil {
		t.Fatalf("legacy key does not authenticate: %v", err)
	}
	if listed := e.KeyOf(t, owner, k.KeyID); !k.Legacy || listed == nil || !listed.Legacy || listed.Description != nil || listed.SecretLast4 != "cdef" {
		t.Errorf("legacy key = %+v, listed as %+v", k, listed)
	}
	_, err = e.Svc.UpdateKeyDescription(owner.Ctx, keyhouse.Sandbox, c.ClientID, k.KeyID, "x")
	keyhousetest.MustCode(t, err, keyhouse.ECONFLICT)
	if d := e.KeyOf(t, owner, k.KeyID).Description; d != nil {
		t.Errorf("legacy description became %q", *d)
	}
	if err := e.Svc.DeleteKey(owner.Ctx, keyhouse.Sandbox, c.ClientID, k.KeyID, c.ClientID); err != nil {
		t.Fatalf("delete legacy: %v", err)
	}
	_, err = e.Svc.AuthenticateBasic(context.Background(), legacy)
	keyhousetest.MustCode(t, err, keyhouse.ECREDENTIALS)
}

func TestDeleteConfirmation(t *testing.T) {
	e := keyhousetest.New(t)
	owner := e.NewOrg(t, "acme")
	// A client ID with letters, as an imported client may have, so that a
	// change of case is a different string.
	now := e.Clock.Now()
	c := &keyhouse.Client{ClientID: "AbC123xyz", OrgID: owner.OrgID, Name: "Imported", Environment: keyhouse.Sandbox, InitializedAt: &now, CreatedAt: now}
	if err := e.Store.Update(context.Background(), func(tx service.Tx) error { return tx.CreateClient(c) }); err != nil {
		t.Fatal(err)
	}
	gen, err := e.Svc.GenerateKey(owner.Ctx, keyhouse.Sandbox, c.ClientID, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, confirm := range []string{"", "wrong", "abc123xyz", "ABC123XYZ", " AbC123xyz", "AbC123xyz ", "AbC123xyz\n", "AbC123xy", "AbC123xyzz"} {
		t.Run(strings.ReplaceAll(confirm, " ", "_"), func(t *testing.T) {
			err := e.Svc.DeleteKey(owner.Ctx, keyhouse.Sandbox, c.ClientID, gen.KeyID, confirm)
			keyhousetest.MustCode(t, err, keyhouse.EINVALID)
			if keyhouse.ErrorMessage(err) != "confirm_client_id: must equal the client ID exactly" {
				t.Errorf("message = %q", keyhouse.ErrorMessage(err))
			}
			if e.KeyOf(t, owner, gen.KeyID) == nil {
				t.Fatal("key deleted by a wrong confirmation")
			}
			if _, err := e.Svc.AuthenticateBasic(context.Background(), gen.APIKey); err != nil {
				t.Fatalf("key stopped working: %v", err)
			}
		})
	}
	if err := e.Svc.DeleteKey(owner.Ctx, keyhouse.Sandbox, c.ClientID, gen.KeyID, c.ClientID); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if e.KeyOf(t, owner, gen.KeyID) != nil {
		t.Error("key still listed")
	}
	if len(e.Deleted) != 1 || e.Deleted[0] != gen.KeyID {
		t.Errorf("revocation hook saw %v", e.Deleted)
	}
	_, err = e.Svc.AuthenticateBasic(context.Background(), gen.APIKey)
	keyhousetest.MustCode(t, err, keyhouse.ECREDENTIALS)
	err = e.Svc.DeleteKey(owner.Ctx, keyhouse.Sandbox, c.ClientID, gen.KeyID, c.ClientID)
	keyhousetest.MustCode(t, err, keyhouse.ENOTFOUND)
}

func TestKeyRules(t *testing.T) {
	e := keyhousetest.New(t)
	owner := e.NewOrg(t, "acme")
	other := e.NewOrg(t, "globex")
	c := e.NewClient(t, owner)

	t.Run("uninitialized client", func(t *testing.T) {
		now := e.Clock.Now()
		raw := &keyhouse.Client{ClientID: "1234567890", OrgID: owner.OrgID, Name: "Raw", Environment: keyhouse.Sandbox, CreatedAt: now}
		if err := e.Store.Update(context.Background(), func(tx service.Tx) error { return tx.CreateClient(raw) }); err != nil {
			t.Fatal(err)
		}
		_, err := e.Svc.GenerateKey(owner.Ctx, keyhouse.Sandbox, raw.ClientID, "")
		keyhousetest.MustCode(t, err, keyhouse.ECONFLICT)
	})
	t.Run("other organization answers not found", func(t *testing.T) {
		gen, err := e.Svc.GenerateKey(owner.Ctx, keyhouse.Sandbox, c.ClientID, "")
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.Svc.GenerateKey(other.Ctx, keyhouse.Sandbox, c.ClientID, "")
		keyhousetest.MustCode(t, err, keyhouse.ENOTFOUND)
		_, err = e.Svc.UpdateKeyDescription(other.Ctx, keyhouse.Sandbox, c.ClientID, gen.KeyID, "x")
		keyhousetest.MustCode(t, err, keyhouse.ENOTFOUND)
		err = e.Svc.DeleteKey(other.Ctx, keyhouse.Sandbox, c.ClientID, gen.KeyID, c.ClientID)
		keyhousetest.MustCode(t, err, keyhouse.ENOTFOUND)
	})
	t.Run("other environment answers not found", func(t *testing.T) {
		_, err := e.Svc.GenerateKey(owner.Ctx, keyhouse.Production, c.ClientID, "")
		keyhousetest.MustCode(t, err, keyhouse.ENOTFOUND)
	})
	t.Run("at most ten keys", func(t *testing.T) {
		c2 := e.NewClient(t, owner)
		for i := range 10 {
			if _, err := e.Svc.GenerateKey(owner.Ctx, keyhouse.Sandbox, c2.ClientID, ""); err != nil {
				t.Fatalf("key %d: %v", i+1, err)
			}
		}
		_, err := e.Svc.GenerateKey(owner.Ctx, keyhouse.Sandbox, c2.ClientID, "")
		keyhousetest.MustCode(t, err, keyhouse.ECONFLICT)
	})
	t.Run("expired keys leave room", func(t *testing.T) {
		c3 := e.NewClient(t, owner)
		soon := e.Clock.Now().Add(time.Hour)
		if _, err := e.Svc.Generate(owner.Ctx, keyhouse.Sandbox, c3.ClientID, service.KeyRequest{ExpiresAt: &soon}); err != nil {
			t.Fatal(err)
		}
		for i := range 9 {
			if _, err := e.Svc.GenerateKey(owner.Ctx, keyhouse.Sandbox, c3.ClientID, ""); err != nil {
				t.Fatalf("key %d: %v", i+2, err)
			}
		}
		_, err := e.Svc.GenerateKey(owner.Ctx, keyhouse.Sandbox, c3.ClientID, "")
		keyhousetest.MustCode(t, err, keyhouse.ECONFLICT) // the expiring key still counts
		e.Clock.Add(time.Hour)
		if _, err := e.Svc.GenerateKey(owner.Ctx, keyhouse.Sandbox, c3.ClientID, ""); err != nil {
			t.Fatalf("an 11th key once one of ten has expired: %v", err)
		}
		_, err = e.Svc.GenerateKey(owner.Ctx, keyhouse.Sandbox, c3.ClientID, "")
		keyhousetest.MustCode(t, err, keyhouse.ECONFLICT)
	})
	t.Run("generated key authenticates, as one credential or two", func(t *testing.T) {
		gen, err := e.Svc.GenerateKey(owner.Ctx, keyhouse.Sandbox, c.ClientID, "")
		if err != nil {
			t.Fatal(err)
		}
		k, err := e.Svc.AuthenticateBasic(context.Background(), gen.APIKey)
		if err != nil || k.KeyID != gen.KeyID || k.Environment != keyhouse.Sandbox {
			t.Fatalf("authenticate = %+v, %v", k, err)
		}
		if _, err := e.Svc.AuthenticatePair(context.Background(), gen.KeyID, gen.Secret); err != nil {
			t.Fatalf("pair: %v", err)
		}
		other, err := e.Svc.GenerateKey(owner.Ctx, keyhouse.Sandbox, c.ClientID, "")
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.Svc.AuthenticatePair(context.Background(), gen.KeyID, other.Secret) // a valid secret, another key's
		keyhousetest.MustCode(t, err, keyhouse.ECREDENTIALS)
	})
}

func TestLastUsedIsBatched(t *testing.T) {
	e := keyhousetest.New(t)
	owner := e.NewOrg(t, "acme")
	c := e.NewClient(t, owner)
	gen, err := e.Svc.GenerateKey(owner.Ctx, keyhouse.Sandbox, c.ClientID, "")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := e.Svc.AuthenticateBasic(context.Background(), gen.APIKey); err != nil {
			t.Fatal(err)
		}
	}
	if k := e.KeyOf(t, owner, gen.KeyID); k.LastUsedAt != nil {
		t.Fatalf("last_used_at written before the flush: %v", k.LastUsedAt)
	}
	if err := e.Svc.FlushUsage(context.Background()); err != nil {
		t.Fatal(err)
	}
	k := e.KeyOf(t, owner, gen.KeyID)
	if k.LastUsedAt == nil || !k.LastUsedAt.Equal(e.Clock.Now()) {
		t.Fatalf("last_used_at = %v, want %v", k.LastUsedAt, e.Clock.Now())
	}
}
