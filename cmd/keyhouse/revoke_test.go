package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"regexp"
	"testing"
	"time"
)

// revokeAcross gets a token for apiKey, has it accepted by the intake of
// every instance (which caches it verified), runs `keyhouse signing-keys
// rotate --revoke` with dbFlags as a separate command would, and checks
// that every instance refuses the token within a second, and accepts a
// new one. It logs how long each instance took.
func revokeAcross(t *testing.T, dbFlags []string, apiKey string, instances ...*instance) {
	t.Helper()
	basic := map[string]string{"Authorization": "Basic " + apiKey}
	bearer := func(in *instance) map[string]string {
		status, body := in.send(t, "/as/token", "application/x-www-form-urlencoded", "grant_type=client_credentials", basic)
		if status != 200 {
			t.Fatalf("token: %d %s", status, body)
		}
		return map[string]string{"Authorization": "Bearer " + regexp.MustCompile(`"access_token":"([^"]+)"`).FindStringSubmatch(body)[1]}
	}
	old := bearer(instances[0])
	for _, in := range instances {
		if status, body := in.send(t, "/v1/events", "application/json", `{}`, old); status != 202 {
			t.Fatalf("intake before the revocation: %d %s", status, body)
		}
	}
	var out bytes.Buffer
	args := append([]string{"signing-keys", "rotate", "--revoke", "--json"}, dbFlags...)
	if err := run(context.Background(), args, func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatalf("signing-keys rotate --revoke: %v", err)
	}
	revoked := time.Now()
	var r struct {
		KID     string   `json:"kid"`
		Revoked []string `json:"revoked"`
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil || r.KID == "" || len(r.Revoked) != 1 {
		t.Fatalf("--json output %q: %v", out.String(), err)
	}
	for i, in := range instances {
		waitRefused(t, in, old)
		t.Logf("instance %d refuses the revoked key's token %v after the command returned", i, time.Since(revoked))
	}
	fresh := bearer(instances[len(instances)-1])
	for _, in := range instances {
		if status, body := in.send(t, "/v1/events", "application/json", `{}`, fresh); status != 202 {
			t.Errorf("intake with a token of the new key: %d %s", status, body)
		}
	}
}
