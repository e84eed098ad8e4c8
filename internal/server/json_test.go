package server

import (
	"encoding/json"
	"testing"

	"keyhouse/internal/service"
)

// TestHandWrittenJSON checks the data plane's hand-appended answers
// against what encoding/json writes for the same values.
func TestHandWrittenJSON(t *testing.T) {
	encode := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b) + "\n"
	}
	for _, tok := range []service.IssuedToken{
		{AccessToken: "eyJhbGciOiJFUzI1NiJ9.e30.c2ln", TokenType: "Bearer", ExpiresIn: 1200, Scope: "integration"},
		{AccessToken: `a"b\c<d>&` + "\x01é\u2028", TokenType: "", ExpiresIn: -1, Scope: "\xff"},
	} {
		want := encode(tokenResponse{AccessToken: tok.AccessToken, TokenType: tok.TokenType, ExpiresIn: tok.ExpiresIn, Scope: tok.Scope})
		if got := string(appendTokenJSON(nil, &tok)); got != want {
			t.Errorf("appendTokenJSON = %s, want %s", got, want)
		}
	}
	for _, ids := range [][]string{{}, {"evt_1"}, {"evt_1", "evt_2", `"quoted"`}} {
		want := encode(acceptedResponse{Accepted: len(ids), IDs: ids})
		if got := string(acceptedJSON(ids)); got != want {
			t.Errorf("acceptedJSON(%q) = %s, want %s", ids, got, want)
		}
	}
}
