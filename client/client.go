// Package client calls keyhouse over HTTP, for scripts, tests and the
// product's own Go services: the management API (/api/v1) with a session,
// and, for integrations, access tokens (cached, refreshed two minutes
// before they expire) and the data intake. It uses the standard library
// only, so that another Go module can import it.
//
//	c := client.New("https://keys.example.com", nil)
//	if _, err := c.SignIn(ctx, client.SignIn{Email: e, Password: p, OTP: code}); err != nil { … }
//	key, err := c.GenerateKey(ctx, "sandbox", clientID, "Web shop")
//
//	in := client.NewIntegration("https://keys.example.com", apiKey, nil)
//	_, err = in.SendEvents(ctx, map[string]any{"order": 1})
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// Client calls the management API. It holds the session token of SignIn
// (or SetSession); it is safe for concurrent use.
type Client struct {
	base string
	http *http.Client

	mu      sync.Mutex
	session string
}

// New returns a Client of the keyhouse at baseURL ("https://keys.example.com").
// A nil hc is http.DefaultClient.
func New(baseURL string, hc *http.Client) *Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), http: hc}
}

// SetSession makes the Client use a session token from an earlier SignIn.
func (c *Client) SetSession(token string) {
	c.mu.Lock()
	c.session = token
	c.mu.Unlock()
}

// Session returns the session token in use, "" when signed out.
func (c *Client) Session() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.session
}

// Error is an answer of keyhouse other than a success: the HTTP status,
// and the code and message of the body (for the OAuth endpoints, the
// RFC 6749 "error" and "error_description").
type Error struct {
	Status  int
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("keyhouse: %d %s", e.Status, http.StatusText(e.Status))
	}
	return fmt.Sprintf("keyhouse: %d %s: %s", e.Status, e.Code, e.Message)
}

// errorOf reads the error body of resp: {"code","message"} or RFC 6749's
// {"error","error_description"}.
func errorOf(resp *http.Response) error {
	var body struct {
		Code        string `json:"code"`
		Message     string `json:"message"`
		OAuthError  string `json:"error"`
		Description string `json:"error_description"`
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = json.Unmarshal(b, &body)
	e := &Error{Status: resp.StatusCode, Code: body.Code, Message: body.Message}
	if e.Code == "" {
		e.Code, e.Message = body.OAuthError, body.Description
	}
	return e
}

// call sends a JSON request (in, when not nil) with the session and
// decodes a JSON answer of status want into out (when not nil).
func (c *Client) call(ctx context.Context, method, path string, in, out any, want int) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if s := c.Session(); s != "" {
		req.Header.Set("Authorization", "Bearer "+s)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		return errorOf(resp)
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode %s %s: %w", method, path, err)
	}
	return nil
}
