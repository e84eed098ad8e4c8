package server_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"keyhouse/client"
)

// TestClientKeyLifecycle runs the key lifecycle through package client
// against a real server, whose answers are checked against the OpenAPI
// document on the way: the organization's maximum lifetime read and set
// (and refused to a View user), a key with an expiry and addresses, its
// addresses changed, and its roll.
func TestClientKeyLifecycle(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := client.New(f.srv.URL, nil)
	c.SetSession(f.owner.Token)
	org, err := c.Organization(ctx)
	if err != nil || org.MaxKeyLifetimeDays != nil || org.Name == "" {
		t.Fatalf("organization = %+v, %v", org, err)
	}
	thirty := 30
	if org, err := c.SetMaxKeyLifetime(ctx, &thirty); err != nil || org.MaxKeyLifetimeDays == nil || *org.MaxKeyLifetimeDays != 30 {
		t.Fatalf("set max lifetime = %+v, %v", org, err)
	}
	now := f.e.Clock.Now().Truncate(time.Second)
	expires := now.Add(24 * time.Hour)
	own := f.client["own"]
	gen, err := c.GenerateKeyWith(ctx, "sandbox", own, client.KeyOptions{Description: "Billing", ExpiresAt: &expires, AllowedCIDRs: []string{"203.0.113.0/24"}})
	if err != nil || gen.ExpiresAt == nil || !gen.ExpiresAt.Equal(expires) || !slices.Equal(gen.AllowedCIDRs, []string{"203.0.113.0/24"}) {
		t.Fatalf("generate = %+v, %v", gen, err)
	}
	if k, err := c.SetAllowedCIDRs(ctx, "sandbox", own, gen.KeyID, nil); err != nil || k.AllowedCIDRs == nil || len(k.AllowedCIDRs) != 0 {
		t.Fatalf("set allowed_cidrs to anywhere = %+v, %v", k, err)
	}
	rolled, err := c.RollKey(ctx, "sandbox", own, gen.KeyID, 10*time.Minute)
	if err != nil || rolled.Replaces != gen.KeyID || rolled.Secret == "" || !rolled.OldKeyExpiresAt.Equal(now.Add(10*time.Minute)) ||
		rolled.ExpiresAt == nil || !rolled.ExpiresAt.Equal(now.Add(30*24*time.Hour)) || *rolled.Description != "Billing" {
		t.Fatalf("roll = %+v, %v", rolled, err)
	}
	clients, err := c.Clients(ctx, "sandbox")
	i := slices.IndexFunc(clients, func(x client.IntegrationClient) bool { return x.ClientID == own })
	if err != nil || i < 0 {
		t.Fatalf("clients = %+v, %v", clients, err)
	}
	j := slices.IndexFunc(clients[i].Keys, func(k client.Key) bool { return k.KeyID == gen.KeyID })
	if j < 0 || clients[i].Keys[j].ReplacedBy == nil || *clients[i].Keys[j].ReplacedBy != rolled.KeyID || clients[i].Keys[j].Expired {
		t.Fatalf("the rolled key is listed as %+v", clients[i].Keys)
	}
	c.SetSession(f.roles["view"].Token)
	if org, err := c.Organization(ctx); err != nil || org.MaxKeyLifetimeDays == nil || *org.MaxKeyLifetimeDays != 30 {
		t.Fatalf("organization as View = %+v, %v", org, err)
	}
	_, err = c.SetMaxKeyLifetime(ctx, nil)
	wantStatus(t, err, 403, "forbidden")
}
