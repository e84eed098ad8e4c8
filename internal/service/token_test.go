package service_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/apikey"
	"keyhouse/internal/keyhousetest"
	"keyhouse/internal/service"
	"keyhouse/internal/sqlstore"
	"keyhouse/internal/token"
)

// jwksKids returns the key ids the JWKS serves.
func jwksKids(t *testing.T, e *keyhousetest.Env) []string {
	t.Helper()
	var set struct{ Keys []struct{ Kid string } }
	if err := json.Unmarshal(e.Svc.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.Kid)
	}
	return kids
}

func TestSigningKeyRotation(t *testing.T) {
	e := keyhousetest.New(t)
	owner := e.NewOrg(t, "acme")
	c := e.NewClient(t, owner)
	gen, err := e.Svc.GenerateKey(owner.Ctx, keyhouse.Sandbox, c.ClientID, "")
	if err != nil {
		t.Fatal(err)
	}
	k, err := e.Svc.AuthenticateBasic(context.Background(), gen.APIKey)
	if err != nil {
		t.Fatal(err)
	}
	before, err := e.Svc.IssueToken(k, service.ScopeIntegration)
	if err != nil {
		t.Fatal(err)
	}
	if kids := jwksKids(t, e); len(kids) != 1 {
		t.Fatalf("JWKS before rotation: %v", kids)
	}
	_, err = e.Svc.RotateSigningKey(owner.Ctx, false)
	keyhousetest.MustCode(t, err, keyhouse.EFORBIDDEN) // an Owner is not the operator
	rot, err := e.Svc.RotateSigningKey(keyhousetest.Operator(""), false)
	if err != nil {
		t.Fatal(err)
	}
	kid := rot.KeyID
	if kids := jwksKids(t, e); len(kids) != 2 || kids[0] == kids[1] {
		t.Fatalf("JWKS after rotation: %v", kids)
	}
	after, _ := e.Svc.IssueToken(k, service.ScopeIntegration)
	for name, tok := range map[string]string{"old key's token": before.AccessToken, "new key's token": after.AccessToken} {
		if _, err := e.Svc.VerifyToken(context.Background(), tok); err != nil {
			t.Errorf("%s after rotation: %v", name, err)
		}
	}
	// Once the old key's last token has expired (counting the time other
	// instances may still sign with it), it leaves the JWKS.
	e.Clock.Add(token.Lifetime + token.Leeway)
	if kids := jwksKids(t, e); len(kids) != 2 {
		t.Fatalf("JWKS while another instance may still have signed with the old key: %v", kids)
	}
	e.Clock.Add(service.RetireGrace + time.Second)
	if kids := jwksKids(t, e); len(kids) != 1 || kids[0] != kid {
		t.Fatalf("JWKS after the old tokens expired: %v, want [%s]", kids, kid)
	}
}

// TestSigningKeysAreSharedAndSealed: a second service on the same
// database (another instance) verifies the first one's tokens, and the
// stored private key is sealed.
func TestSigningKeysAreSharedAndSealed(t *testing.T) {
	e := keyhousetest.New(t)
	owner := e.NewOrg(t, "acme")
	tok := issue(t, e, owner, e.NewClient(t, owner).ClientID)
	other, err := service.New(e.Store, keyhousetest.Secret, service.Config{Password: keyhousetest.Cheap, Now: e.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := other.VerifyToken(context.Background(), tok.AccessToken); err != nil {
		t.Errorf("another instance refuses the token: %v", err)
	}
	var sealed string
	if err := e.Store.DB().QueryRow(`SELECT private_key FROM signing_keys`).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if len(sealed) < 4 || sealed[:3] != "v1." {
		t.Errorf("stored signing key is not sealed: %.10q…", sealed)
	}
}

// countingStore counts the key look-ups that reach the store.
type countingStore struct {
	service.Store
	lookups int
}

func (s *countingStore) FindKey(ctx context.Context, id string) (*keyhouse.APIKey, error) {
	s.lookups++
	return s.Store.FindKey(ctx, id)
}

func (s *countingStore) FindKeyByHash(ctx context.Context, h []byte) (*keyhouse.APIKey, error) {
	s.lookups++
	return s.Store.FindKeyByHash(ctx, h)
}

// TestKeyChecksWithoutTheStore: a typo in a secret is refused by its
// checksum, and a known key is found in the in-memory index: neither asks
// the store.
func TestKeyChecksWithoutTheStore(t *testing.T) {
	e := keyhousetest.New(t)
	owner := e.NewOrg(t, "acme")
	c := e.NewClient(t, owner)
	gen, _ := e.Svc.GenerateKey(owner.Ctx, keyhouse.Sandbox, c.ClientID, "")
	store := &countingStore{Store: e.Store}
	svc, err := service.New(store, keyhousetest.Secret, service.Config{Password: keyhousetest.Cheap, Now: e.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	typo := gen.Secret[:len(gen.Secret)-1] + string(gen.Secret[len(gen.Secret)-1]^1)
	_, err = svc.AuthenticatePair(context.Background(), gen.KeyID, typo)
	keyhousetest.MustCode(t, err, keyhouse.ECREDENTIALS)
	for range 3 {
		if _, err := svc.AuthenticateBasic(context.Background(), gen.APIKey); err != nil {
			t.Fatal(err)
		}
	}
	if store.lookups != 0 {
		t.Errorf("%d key look-ups reached the store, want 0", store.lookups)
	}
	// A made-up key of valid form asks the store once, then not for a while.
	madeUp := apikey.Generate(keyhouse.Sandbox)
	for range 3 {
		_, err := svc.AuthenticateBasic(context.Background(), madeUp.APIKey())
		keyhousetest.MustCode(t, err, keyhouse.ECREDENTIALS)
	}
	if store.lookups != 1 {
		t.Errorf("%d look-ups for a made-up key, want 1", store.lookups)
	}
}

// flakyStore fails key look-ups while down is set.
type flakyStore struct {
	service.Store
	down bool
}

func (s *flakyStore) FindKey(ctx context.Context, id string) (*keyhouse.APIKey, error) {
	if s.down {
		return nil, keyhouse.Errorf(keyhouse.EUNAVAILABLE, "the database is unavailable; retry later")
	}
	return s.Store.FindKey(ctx, id)
}

// TestStoreOutageIsNotRevocation: when the store cannot say whether a
// token's key exists, intake answers 503 and the token works again once
// the store is back.
func TestStoreOutageIsNotRevocation(t *testing.T) {
	e := keyhousetest.New(t)
	store := &flakyStore{Store: e.Store}
	other, err := service.New(store, keyhousetest.Secret, service.Config{Password: keyhousetest.Cheap, Now: e.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	owner := e.NewOrg(t, "acme")
	c := e.NewClient(t, owner)
	tok := issue(t, e, owner, c.ClientID) // after other loaded its index

	store.down = true
	_, err = other.VerifyToken(context.Background(), tok.AccessToken)
	keyhousetest.MustCode(t, err, keyhouse.EUNAVAILABLE)
	store.down = false
	if _, err := other.VerifyToken(context.Background(), tok.AccessToken); err != nil {
		t.Fatalf("after the outage: %v", err)
	}
}

// issue generates a key for clientID and returns a token issued for it.
func issue(t *testing.T, e *keyhousetest.Env, owner *keyhousetest.User, clientID string) *service.IssuedToken {
	t.Helper()
	gen, err := e.Svc.GenerateKey(owner.Ctx, keyhouse.Sandbox, clientID, "")
	if err != nil {
		t.Fatal(err)
	}
	k, err := e.Svc.AuthenticateBasic(context.Background(), gen.APIKey)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := e.Svc.IssueToken(k, service.ScopeIntegration)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestNewSigningKeyOfAnotherInstance: a token signed by a key another
// instance made a moment ago (as two instances starting together on a new
// database each make one) verifies at once, the ring being reloaded for
// its unknown kid.
func TestNewSigningKeyOfAnotherInstance(t *testing.T) {
	e := keyhousetest.New(t)
	owner := e.NewOrg(t, "acme")
	c := e.NewClient(t, owner)
	other, err := service.New(e.Store, keyhousetest.Secret, service.Config{Password: keyhousetest.Cheap, Now: e.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The other instance makes a new key; this one has just loaded its ring.
	if _, err := e.Svc.RotateSigningKey(keyhousetest.Operator(""), false); err != nil {
		t.Fatal(err)
	}
	tok := issue(t, e, owner, c.ClientID)
	if _, err := other.VerifyToken(context.Background(), tok.AccessToken); err != nil {
		t.Fatalf("a token of the new key on the other instance: %v", err)
	}
}

// TestInstancesStartingTogetherShareOneSigningKey: instances that start
// at once on a new PostgreSQL database make one first signing key
// between them, not one each.
func TestInstancesStartingTogetherShareOneSigningKey(t *testing.T) {
	dsn := keyhousetest.PostgresDSN(t)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 8 {
		store, err := sqlstore.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		svc, err := service.New(store, keyhousetest.Secret, service.Config{Password: keyhousetest.Cheap})
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			<-start
			if err := svc.LoadSigningKeys(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	close(start)
	wg.Wait()
	store, err := sqlstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	keys, err := store.ListSigningKeys(context.Background())
	if err != nil || len(keys) != 1 {
		t.Fatalf("%d signing keys (%v), want 1", len(keys), err)
	}
}
