package service

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"time"

	"keyhouse"
)

// ListClients returns the environment's clients with their keys and
// data-received summaries.
func (s *Service) ListClients(ctx context.Context, env keyhouse.Environment) ([]*keyhouse.ClientDetail, error) {
	p, err := authorize(ctx, permViewKeys)
	if err != nil {
		return nil, err
	}
	var out []*keyhouse.ClientDetail
	err = s.store.View(ctx, func(tx Tx) error {
		cs, sums, err := s.clientsWithSummaries(tx, p.OrgID, env)
		if err != nil {
			return err
		}
		keys, err := tx.ListKeys(p.OrgID, env)
		if err != nil {
			return fmt.Errorf("list keys: %w", err)
		}
		byClient := make(map[string][]*keyhouse.APIKey)
		now := s.now()
		for _, k := range keys {
			k.Expired = k.HasExpired(now)
			byClient[k.ClientID] = append(byClient[k.ClientID], k)
		}
		for _, c := range cs {
			ks := byClient[c.ClientID]
			if ks == nil {
				ks = []*keyhouse.APIKey{}
			}
			out = append(out, &keyhouse.ClientDetail{Client: c, Keys: ks, Events: sums[c.ClientID]})
		}
		return nil
	})
	return out, err
}

// Summary returns the environment's clients with their data-received
// summaries: what every role may see.
func (s *Service) Summary(ctx context.Context, env keyhouse.Environment) ([]*keyhouse.ClientSummary, error) {
	p, err := authorize(ctx, permSummary)
	if err != nil {
		return nil, err
	}
	var out []*keyhouse.ClientSummary
	err = s.store.View(ctx, func(tx Tx) error {
		cs, sums, err := s.clientsWithSummaries(tx, p.OrgID, env)
		for _, c := range cs {
			out = append(out, &keyhouse.ClientSummary{Client: c, Events: sums[c.ClientID]})
		}
		return err
	})
	return out, err
}

// clientsWithSummaries returns the initialized clients of an environment
// and their event counts, "today" and "7 days" counted in UTC days.
func (s *Service) clientsWithSummaries(tx Tx, orgID string, env keyhouse.Environment) ([]*keyhouse.Client, map[string]keyhouse.EventSummary, error) {
	all, err := tx.ListClients(orgID, env)
	if err != nil {
		return nil, nil, fmt.Errorf("list clients: %w", err)
	}
	var cs []*keyhouse.Client
	for _, c := range all {
		if c.Initialized() {
			cs = append(cs, c)
		}
	}
	day := s.now().Truncate(24 * time.Hour)
	sums, err := tx.EventSummaries(orgID, env, day, day.AddDate(0, 0, -6))
	if err != nil {
		return nil, nil, fmt.Errorf("event summaries: %w", err)
	}
	return cs, sums, nil
}

// InitClient creates and initializes a client with a generated 10-digit
// client ID.
func (s *Service) InitClient(ctx context.Context, env keyhouse.Environment, name string) (*keyhouse.Client, error) {
	p, err := authorize(ctx, permInitClient)
	if err != nil {
		return nil, err
	}
	if err := keyhouse.ValidateName("name", name); err != nil {
		return nil, err
	}
	// An organization never goes back to pending: checking first is safe.
	if err := s.store.View(ctx, func(tx Tx) error { return requireActiveOrg(tx, p.OrgID) }); err != nil {
		return nil, err
	}
	now := s.now()
	c := &keyhouse.Client{OrgID: p.OrgID, Name: name, Environment: env, InitializedAt: &now, CreatedAt: now}
	// A drawn client ID may be taken (1 in 9e9 per client): draw again in a
	// new transaction, since PostgreSQL aborts one after a unique violation.
	for range 5 {
		if c.ClientID, err = drawClientID(); err != nil {
			return nil, err
		}
		err = s.store.Update(ctx, func(tx Tx) error {
			if err := tx.CreateClient(c); err != nil {
				return err
			}
			return s.audit(ctx, tx, p.OrgID, env, keyhouse.ActionClientInitialized, c.ClientID)
		})
		if keyhouse.ErrorCode(err) != keyhouse.ECONFLICT {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// drawClientID returns a random 10-digit client ID.
func drawClientID() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(9_000_000_000))
	if err != nil {
		return "", fmt.Errorf("client id: %w", err)
	}
	return fmt.Sprint(1_000_000_000 + n.Int64()), nil
}

// findClient returns a client of the principal's organization in env.
func findClient(tx Tx, orgID string, env keyhouse.Environment, clientID string) (*keyhouse.Client, error) {
	if keyhouse.ValidateClientID("client_id", clientID) != nil {
		return nil, keyhouse.Errorf(keyhouse.ENOTFOUND, "client not found")
	}
	c, err := tx.FindClient(orgID, env, clientID)
	if keyhouse.ErrorCode(err) == keyhouse.ENOTFOUND {
		return nil, keyhouse.Errorf(keyhouse.ENOTFOUND, "client not found")
	}
	return c, err
}
