package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"keyhouse"
	"keyhouse/internal/service"
)

// dataFixture is a fixture with the background work running and one key.
type dataFixture struct {
	*fixture
	key *service.GeneratedKey
}

func newDataFixture(t testing.TB) *dataFixture {
	f := newFixture(t)
	f.e.Run(t)
	gen, err := f.e.Svc.GenerateKey(f.owner.Ctx, keyhouse.Sandbox, f.client["own"], "integration")
	if err != nil {
		t.Fatal(err)
	}
	return &dataFixture{fixture: f, key: gen}
}

// post sends a request with headers and returns status, headers and body.
func (f *fixture) post(t testing.TB, path, contentType, body string, header map[string]string) (int, http.Header, string) {
	t.Helper()
	return sendHTTP(t, "POST", f.srv.URL+path, contentType, body, header)
}

// sendHTTP sends a request to url with headers (and a body of
// contentType, when that is not empty), and returns status, headers and
// body.
func sendHTTP(t testing.TB, method, url, contentType, body string, header map[string]string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

const form = "application/x-www-form-urlencoded"

// token gets an access token with the raw API key, as Kount integrations do.
func (f *dataFixture) token(t testing.TB, apiKey string) string {
	t.Helper()
	status, _, body := f.post(t, "/as/token", form, "grant_type=client_credentials&scope=integration", map[string]string{"Authorization": "Basic " + apiKey})
	if status != 200 {
		t.Fatalf("token: %d %s", status, body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.Unmarshal([]byte(body), &tok)
	return tok.AccessToken
}

func TestTokenWithOAuthLibrary(t *testing.T) {
	f := newDataFixture(t)
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		cfg := clientcredentials.Config{
			ClientID: f.key.KeyID, ClientSecret: f.key.Secret, TokenURL: f.srv.URL + "/oauth2/token",
			Scopes: []string{"integration"}, AuthStyle: style,
		}
		tok, err := cfg.Token(context.Background())
		if err != nil {
			t.Fatalf("auth style %d: %v", style, err)
		}
		if tok.TokenType != "Bearer" || tok.AccessToken == "" || time.Until(tok.Expiry) < 19*time.Minute || time.Until(tok.Expiry) > 21*time.Minute {
			t.Errorf("auth style %d: token %+v", style, tok)
		}
		// The library's own HTTP client sends data with it.
		resp, err := cfg.Client(context.Background()).Post(f.srv.URL+"/v1/events", "application/json", strings.NewReader(`{"order":1}`))
		if err != nil || resp.StatusCode != 202 {
			t.Fatalf("intake with the library's client: %v %v", resp, err)
		}
		resp.Body.Close()
	}
}

func TestTokenWithRawBasicHeader(t *testing.T) {
	f := newDataFixture(t)
	// grant_type and scope in the query string, as some Kount integrations send them.
	status, h, body := f.post(t, "/as/token?grant_type=client_credentials&scope=integration", form, "", map[string]string{"Authorization": "Basic " + f.key.APIKey})
	if status != 200 || h.Get("Cache-Control") != "no-store" {
		t.Fatalf("token: %d %v %s", status, h, body)
	}
	var tok map[string]any
	json.Unmarshal([]byte(body), &tok)
	if tok["token_type"] != "Bearer" || tok["expires_in"] != 1200.0 || tok["scope"] != "integration" || tok["access_token"] == "" {
		t.Errorf("token response = %s", body)
	}
}

func TestTokenVerifiesWithJWKSOnly(t *testing.T) {
	f := newDataFixture(t)
	raw := f.token(t, f.key.APIKey)
	resp, err := http.Get(f.srv.URL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	keys := set.Key(tok.Headers[0].KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q not in the JWKS", tok.Headers[0].KeyID)
	}
	var std jwt.Claims
	var own struct {
		ClientID string `json:"client_id"`
		Org      string `json:"org"`
		Env      string `json:"env"`
		APIKeyID string `json:"api_key_id"`
		Scope    string `json:"scope"`
	}
	if err := tok.Claims(keys[0].Key, &std, &own); err != nil {
		t.Fatalf("signature does not verify with the JWKS: %v", err)
	}
	now := f.e.Clock.Now()
	err = std.ValidateWithLeeway(jwt.Expected{Issuer: "http://kh.test", AnyAudience: jwt.Audience{"keyhouse:integration"}, Time: now}, 0)
	if err != nil {
		t.Errorf("claims: %v", err)
	}
	if std.Subject != f.client["own"] || own.ClientID != f.client["own"] || own.Org != f.owner.OrgID || own.Env != "sandbox" ||
		own.APIKeyID != f.key.KeyID || own.Scope != "integration" || std.Expiry.Time().Sub(std.IssuedAt.Time()) != 1200*time.Second || std.ID == "" {
		t.Errorf("claims = %+v %+v", std, own)
	}
}

func TestTokenErrors(t *testing.T) {
	f := newDataFixture(t)
	legacy := "LEGACY-key-for-the-token-endpoint"
	if _, err := f.e.Svc.ImportLegacy(opCtx(f), keyhouse.Sandbox, f.client["own"], []string{legacy}); err != nil {
		t.Fatal(err)
	}
	deleted, _ := f.e.Svc.GenerateKey(f.owner.Ctx, keyhouse.Sandbox, f.client["own"], "")
	if err := f.e.Svc.DeleteKey(f.owner.Ctx, keyhouse.Sandbox, f.client["own"], deleted.KeyID, f.client["own"]); err != nil {
		t.Fatal(err)
	}
	other, _ := f.e.Svc.GenerateKey(f.owner.Ctx, keyhouse.Sandbox, f.client["own"], "")
	basic := func(s string) map[string]string { return map[string]string{"Authorization": "Basic " + s} }
	pair := func(id, secret string) string {
		return base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id) + ":" + url.QueryEscape(secret)))
	}
	grant := "grant_type=client_credentials"
	tests := []struct {
		name   string
		body   string
		header map[string]string
		status int
		code   string
	}{
		{"legacy key", grant, basic(legacy), 200, ""},
		{"form-encoded pair", grant, basic(pair(f.key.KeyID, f.key.Secret)), 200, ""},
		{"client_secret_post", grant + "&client_id=" + f.key.KeyID + "&client_secret=" + f.key.Secret, nil, 200, ""},
		{"no credentials", grant, nil, 401, "invalid_client"},
		{"unknown key", grant, basic(pair("khk_00000000000000000000", f.key.Secret)), 401, "invalid_client"},
		{"another key's secret", grant, basic(pair(f.key.KeyID, other.Secret)), 401, "invalid_client"},
		{"deleted key", grant, basic(deleted.APIKey), 401, "invalid_client"},
		{"checksum typo", grant, basic(pair(f.key.KeyID, typo(f.key.Secret))), 401, "invalid_client"},
		{"garbage", grant, basic("!!!"), 401, "invalid_client"},
		{"bearer instead of basic", grant, map[string]string{"Authorization": "Bearer " + f.key.APIKey}, 401, "invalid_client"},
		{"two methods", grant + "&client_secret=" + f.key.Secret, basic(f.key.APIKey), 400, "invalid_request"},
		{"no grant type", "scope=integration", basic(f.key.APIKey), 400, "invalid_request"},
		{"authorization code grant", "grant_type=authorization_code", basic(f.key.APIKey), 400, "unsupported_grant_type"},
		{"unknown scope", grant + "&scope=admin", basic(f.key.APIKey), 400, "invalid_scope"},
		{"grant type repeated", grant + "&grant_type=password", basic(f.key.APIKey), 400, "invalid_request"},
		{"scope repeated", grant + "&scope=integration&scope=admin", basic(f.key.APIKey), 400, "invalid_request"},
		{"the same grant type twice", grant + "&grant_type=client_credentials", basic(f.key.APIKey), 200, ""},
	}
	var unauthorized string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, h, body := f.post(t, "/as/token", form, tt.body, tt.header)
			var e struct{ Error string }
			json.Unmarshal([]byte(body), &e)
			if status != tt.status || e.Error != tt.code || h.Get("Cache-Control") != "no-store" {
				t.Fatalf("got %d %s (%v), want %d %s", status, body, h, tt.status, tt.code)
			}
			if status == 401 {
				if h.Get("WWW-Authenticate") != `Basic realm="keyhouse"` {
					t.Errorf("WWW-Authenticate = %q", h.Get("WWW-Authenticate"))
				}
				if unauthorized == "" {
					unauthorized = body
				} else if body != unauthorized {
					t.Errorf("401 bodies differ: %s vs %s", body, unauthorized)
				}
			}
		})
	}
}

// typo returns secret with its last character changed.
func typo(secret string) string {
	last := secret[len(secret)-1]
	if last == '0' {
		return secret[:len(secret)-1] + "1"
	}
	return secret[:len(secret)-1] + "0"
}

// opCtx returns a context acting as the operator in the own organization.
func opCtx(f *dataFixture) context.Context {
	return keyhouse.NewContextWithPrincipal(context.Background(), &keyhouse.Principal{Operator: true, OrgID: f.owner.OrgID})
}

func TestDiscovery(t *testing.T) {
	f := newDataFixture(t)
	resp, err := http.Get(f.srv.URL + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	if m["issuer"] != "http://kh.test" || m["token_endpoint"] != "http://kh.test/as/token" || m["jwks_uri"] != "http://kh.test/.well-known/jwks.json" ||
		m["introspection_endpoint"] != "http://kh.test/oauth2/introspect" {
		t.Errorf("metadata = %v", m)
	}
}

func TestIntrospection(t *testing.T) {
	f := newDataFixture(t)
	raw := f.token(t, f.key.APIKey)
	caller := map[string]string{"Authorization": "Basic " + f.key.APIKey}
	introspect := func(tok string, header map[string]string) (int, map[string]any) {
		status, _, body := f.post(t, "/oauth2/introspect", form, "token="+url.QueryEscape(tok), header)
		var m map[string]any
		json.Unmarshal([]byte(body), &m)
		return status, m
	}
	if status, m := introspect(raw, caller); status != 200 || m["active"] != true || m["api_key_id"] != f.key.KeyID || m["client_id"] != f.client["own"] {
		t.Errorf("valid token: %d %v", status, m)
	}
	if status, m := introspect("not.a.token", caller); status != 200 || m["active"] != false || len(m) != 1 {
		t.Errorf("garbage: %d %v", status, m)
	}
	if status, _ := introspect(raw, nil); status != 401 {
		t.Errorf("without an API key: %d", status)
	}
	// A token of a deleted key is inactive, asked by another key.
	other, _ := f.e.Svc.GenerateKey(f.owner.Ctx, keyhouse.Sandbox, f.client["own"], "")
	gone := f.token(t, other.APIKey)
	if err := f.e.Svc.DeleteKey(f.owner.Ctx, keyhouse.Sandbox, f.client["own"], other.KeyID, f.client["own"]); err != nil {
		t.Fatal(err)
	}
	if _, m := introspect(gone, caller); m["active"] != false {
		t.Errorf("token of a deleted key: %v", m)
	}
	f.e.Clock.Add(1200*time.Second + time.Minute)
	if _, m := introspect(raw, caller); m["active"] != false {
		t.Errorf("expired token: %v", m)
	}
}
