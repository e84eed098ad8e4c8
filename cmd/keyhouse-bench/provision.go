package main

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"keyhouse"
	"keyhouse/client"
	"keyhouse/internal/apikey"
	"keyhouse/internal/seal"
	"keyhouse/internal/service"
	"keyhouse/internal/sqlstore"
)

// keysPerClient is how many keys each provisioned client holds: the
// service's default limit.
const keysPerClient = 10

// chunk is how many rows one provisioning transaction inserts.
const chunk = 5000

// provision inserts an active organization, one sandbox client per
// keysPerClient keys and n API keys straight into the store, their
// secrets hashed with the server secret as the service does, and returns
// the API keys (the Basic credentials) in random order.
func provision(ctx context.Context, store *sqlstore.Store, secret []byte, n, workers int) ([]string, error) {
	now := time.Now().UTC()
	org := &keyhouse.Organization{ID: keyhouse.NewID("org"), Name: "Bench", State: keyhouse.OrgActive, CreatedAt: now}
	if err := store.Update(ctx, func(tx service.Tx) error { return tx.CreateOrg(org) }); err != nil {
		return nil, fmt.Errorf("create organization: %w", err)
	}
	clients := (n + keysPerClient - 1) / keysPerClient
	if err := inChunks(clients, chunk, workers, func(from, to int) error {
		return store.Update(ctx, func(tx service.Tx) error { return createClients(tx, org.ID, from, to, now) })
	}); err != nil {
		return nil, fmt.Errorf("create clients: %w", err)
	}
	hasher := apikey.NewHasher(seal.Derive(secret, "api-key"))
	keys := make([]string, n)
	err := inChunks(n, chunk, workers, func(from, to int) error {
		return store.Update(ctx, func(tx service.Tx) error {
			return createKeys(tx, hasher, org.ID, keys, from, to, now)
		})
	})
	if err != nil {
		return nil, fmt.Errorf("create keys: %w", err)
	}
	rand.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	return keys, nil
}

// inChunks calls fn for [0, n) in chunks of size, on up to workers
// goroutines, and returns the first error.
func inChunks(n, size, workers int, fn func(from, to int) error) error {
	return parallel(workers, (n+size-1)/size, func(i int) error {
		return fn(i*size, min((i+1)*size, n))
	})
}

// parallel calls fn(0) … fn(n-1) on up to workers goroutines; after the
// first error it starts no more calls and returns that error.
func parallel(workers, n int, fn func(i int) error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  int
	)
	for range min(max(workers, 1), n) {
		wg.Go(func() {
			for {
				mu.Lock()
				i := next
				next++
				stop := first != nil || i >= n
				mu.Unlock()
				if stop {
					return
				}
				if err := fn(i); err != nil {
					mu.Lock()
					first = cmp.Or(first, err)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return first
}

// clientID returns the client ID of the i-th provisioned client: ten
// digits, as the service generates them.
func clientID(i int) string { return fmt.Sprintf("%010d", 9_000_000_000+i) }

func createClients(tx service.Tx, orgID string, from, to int, now time.Time) error {
	for i := from; i < to; i++ {
		c := &keyhouse.Client{ClientID: clientID(i), OrgID: orgID, Environment: keyhouse.Sandbox,
			Name: "bench " + clientID(i), InitializedAt: &now, CreatedAt: now}
		if err := tx.CreateClient(c); err != nil {
			return err
		}
	}
	return nil
}

// createKeys generates the keys [from, to), inserts them and stores their
// API keys in out.
func createKeys(tx service.Tx, hasher *apikey.Hasher, orgID string, out []string, from, to int, now time.Time) error {
	description := "load"
	for i := from; i < to; i++ {
		key := apikey.Generate(keyhouse.Sandbox)
		k := &keyhouse.APIKey{KeyID: key.ID, OrgID: orgID, Environment: keyhouse.Sandbox,
			ClientID: clientID(i / keysPerClient), SecretHash: hasher.Hash(key.Secret),
			SecretLast4: key.Last4(), Description: &description, CreatedAt: now, CreatedBy: "operator"}
		if err := tx.CreateKey(k); err != nil {
			return err
		}
		out[i] = key.APIKey()
	}
	return nil
}

// fetchTokens exchanges up to n of the API keys for access tokens at
// base's token endpoint, eight at a time, through package client as an
// integration would.
func fetchTokens(ctx context.Context, base string, apiKeys []string, n int) ([]string, error) {
	n = min(n, len(apiKeys))
	tokens := make([]string, n)
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	defer hc.CloseIdleConnections()
	err := parallel(8, n, func(i int) error {
		tok, err := client.NewTokenSource(base, apiKeys[i], hc).Token(ctx)
		if err != nil {
			return fmt.Errorf("token: %w", err)
		}
		tokens[i] = tok
		return nil
	})
	return tokens, err
}
