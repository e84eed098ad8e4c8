package main

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"keyhouse/client"
	"keyhouse/internal/openapitest"
)

// TestServeClientStory runs the first run, the management story and an
// integration's through package client against a real `keyhouse serve`,
// every exchange checked against the OpenAPI document.
func TestServeClientStory(t *testing.T) {
	in := startServe(t, "--db", "sqlite:"+filepath.Join(t.TempDir(), "kh.db"))
	ctx := context.Background()
	hc := &http.Client{Timeout: 30 * time.Second, Transport: openapitest.Transport(t, nil)}
	c := client.New(in.base, hc)
	m := regexp.MustCompile(`setup_url="?\S+token=(khl_[A-Za-z0-9]+)`).FindStringSubmatch(in.log.String())
	if m == nil {
		t.Fatalf("no setup link in the log:\n%s", in.log.String())
	}
	created, err := c.Setup(ctx, m[1], "Acme", "owner@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	act := strings.SplitN(created.ActivationURL, "token=", 2)[1]
	const password = "Correct-Horse-9battery"
	enr, err := c.Activate(ctx, act, password)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ConfirmActivation(ctx, act, code(t, enr.TOTPSecret, 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SignIn(ctx, client.SignIn{Email: "owner@acme.example", Password: password, OTP: code(t, enr.TOTPSecret, 1)}); err != nil {
		t.Fatal(err)
	}
	cl, err := c.CreateClient(ctx, "sandbox", "Web shop")
	if err != nil {
		t.Fatal(err)
	}
	gen, err := c.GenerateKey(ctx, "sandbox", cl.ClientID, "checkout")
	if err != nil {
		t.Fatal(err)
	}
	integration := client.NewIntegration(in.base, gen.APIKey, hc)
	if ok, err := integration.SendEvents(ctx, map[string]any{"order": 1}); err != nil || ok.Accepted != 1 {
		t.Fatalf("send events: %+v, %v", ok, err)
	}
	if err := c.DeleteKey(ctx, "sandbox", cl.ClientID, gen.KeyID, cl.ClientID); err != nil {
		t.Fatal(err)
	}
	_, err = integration.SendEvents(ctx, map[string]any{"order": 2})
	var kerr *client.Error
	if !errors.As(err, &kerr) || kerr.Status != http.StatusUnauthorized {
		t.Fatalf("send events with a deleted key: %v, want a 401", err)
	}
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
}
