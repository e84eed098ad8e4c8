package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"keyhouse/internal/keyhousetest"
	"keyhouse/internal/server"
	"keyhouse/internal/service"
)

// TestReady checks GET /readyz (SPEC §8): 200 when the store answers, its
// migrations are applied and a signing key is loaded; else 503
// {"code":"unavailable"} with Retry-After and a message that says which.
func TestReady(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, e *keyhousetest.Env) *service.Service
		want  int
		says  string
	}{
		{"ready", func(t *testing.T, e *keyhousetest.Env) *service.Service { return e.Svc }, 200, ""},
		{"migration missing", func(t *testing.T, e *keyhousetest.Env) *service.Service {
			_, err := e.Store.DB().ExecContext(context.Background(),
				`DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)`)
			if err != nil {
				t.Fatal(err)
			}
			return e.Svc
		}, 503, "migrations"},
		{"no signing key loaded", func(t *testing.T, e *keyhousetest.Env) *service.Service {
			svc, err := service.New(e.Store, keyhousetest.Secret, service.Config{Password: keyhousetest.Cheap})
			if err != nil {
				t.Fatal(err)
			}
			return svc // not started: nothing loaded
		}, 503, "signing key"},
		{"store closed", func(t *testing.T, e *keyhousetest.Env) *service.Service {
			e.Store.Close()
			return e.Svc
		}, 503, "database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := keyhousetest.New(t)
			srv := httptest.NewServer(server.New(tt.setup(t, e), slog.New(slog.DiscardHandler), false))
			defer srv.Close()
			resp, err := http.Get(srv.URL + "/readyz")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			var body struct{ Status, Code, Message string }
			if err := json.Unmarshal(b, &body); err != nil {
				t.Fatalf("body %s: %v", b, err)
			}
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d %s, want %d", resp.StatusCode, b, tt.want)
			}
			if tt.want == 200 {
				if body.Status != "ready" {
					t.Errorf("body %s, want status ready", b)
				}
				return
			}
			if body.Code != "unavailable" || !strings.Contains(body.Message, tt.says) || resp.Header.Get("Retry-After") == "" {
				t.Errorf("%s (Retry-After %q), want code unavailable, a message about %q, Retry-After",
					b, resp.Header.Get("Retry-After"), tt.says)
			}
		})
	}
}
