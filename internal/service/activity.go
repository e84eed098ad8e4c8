package service

import (
	"context"
	"fmt"
	"time"

	"keyhouse"
)

// Activity is an environment's per-day counts over a window of UTC days,
// for the console's charts. Every slice has one number per day of Days.
type Activity struct {
	Days     []time.Time        // the window's UTC midnights, oldest first
	Events   map[string][]int64 // events received, per client ID
	Requests map[string][]int64 // requests authenticated with its keys, per client ID
	Keys     map[string][]int64 // requests per key id: only for roles that see keys
}

// MaxActivityDays bounds the window of Activity.
const MaxActivityDays = 90

// Activity returns the per-day counts of env's last days UTC days, today
// included. Every role may see the per-client counts (as the summary);
// the per-key counts only roles that see the keys.
func (s *Service) Activity(ctx context.Context, env keyhouse.Environment, days int) (*Activity, error) {
	p, err := authorize(ctx, permSummary)
	if err != nil {
		return nil, err
	}
	if days < 1 || days > MaxActivityDays {
		return nil, keyhouse.Errorf(keyhouse.EINVALID, "days: must be a number from 1 to %d", MaxActivityDays)
	}
	_, keysErr := authorize(ctx, permViewKeys)
	since := s.now().Truncate(24*time.Hour).AddDate(0, 0, -(days - 1))
	a := &Activity{Events: map[string][]int64{}, Requests: map[string][]int64{}}
	for i := range days {
		a.Days = append(a.Days, since.AddDate(0, 0, i))
	}
	if keysErr == nil {
		a.Keys = map[string][]int64{}
	}
	add := func(m map[string][]int64, id string, day time.Time, n int64) {
		i := int(day.Sub(since) / (24 * time.Hour))
		if i < 0 || i >= days {
			return
		}
		if m[id] == nil {
			m[id] = make([]int64, days)
		}
		m[id][i] += n
	}
	err = s.store.View(ctx, func(tx Tx) error {
		evs, err := tx.EventDays(p.OrgID, env, since)
		if err != nil {
			return fmt.Errorf("event days: %w", err)
		}
		for _, d := range evs {
			add(a.Events, d.ClientID, d.Day, d.Count)
		}
		kds, err := tx.KeyDays(p.OrgID, env, since)
		if err != nil {
			return fmt.Errorf("key days: %w", err)
		}
		for _, d := range kds {
			add(a.Requests, d.ClientID, d.Day, d.Count)
			if a.Keys != nil {
				add(a.Keys, d.KeyID, d.Day, d.Count)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}
