package server

import (
	"keyhouse/internal/service"
	"keyhouse/internal/token"
)

// tokenResponse is the RFC 6749 §5.1 answer of the token endpoint. The
// handler appends it by hand (tokenJSON); this type is what it must agree
// with, and what the OpenAPI document describes.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
}

// introspectionResponse is the RFC 7662 answer: {"active":false} alone
// for a token the caller may not learn about, every claim otherwise. The
// fields are in alphabetical order, as the answer always had them.
type introspectionResponse struct {
	Active    bool   `json:"active"`
	APIKeyID  string `json:"api_key_id,omitempty"`
	Audience  string `json:"aud,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	Env       string `json:"env,omitempty"`
	Expiry    int64  `json:"exp,omitempty"`
	IssuedAt  int64  `json:"iat,omitempty"`
	Issuer    string `json:"iss,omitempty"`
	ID        string `json:"jti,omitempty"`
	NotBefore int64  `json:"nbf,omitempty"`
	OrgID     string `json:"org,omitempty"`
	Scope     string `json:"scope,omitempty"`
	Subject   string `json:"sub,omitempty"`
	TokenType string `json:"token_type,omitempty"`
}

func newIntrospectionResponse(c *token.Claims) introspectionResponse {
	return introspectionResponse{
		Active: true, APIKeyID: c.APIKeyID, Audience: c.Audience, ClientID: c.ClientID, Env: string(c.Env),
		Expiry: c.Expiry.Unix(), IssuedAt: c.IssuedAt.Unix(), Issuer: c.Issuer, ID: c.ID,
		NotBefore: c.NotBefore.Unix(), OrgID: c.OrgID, Scope: c.Scope, Subject: c.ClientID, TokenType: "Bearer",
	}
}

// metadataResponse is the RFC 8414 authorization server metadata, fields
// in alphabetical order as the answer always had them.
type metadataResponse struct {
	GrantTypes               []string `json:"grant_types_supported"`
	IntrospectionEndpoint    string   `json:"introspection_endpoint"`
	IntrospectionAuthMethods []string `json:"introspection_endpoint_auth_methods_supported"`
	Issuer                   string   `json:"issuer"`
	JWKSURI                  string   `json:"jwks_uri"`
	ResponseTypes            []string `json:"response_types_supported"`
	Scopes                   []string `json:"scopes_supported"`
	TokenEndpoint            string   `json:"token_endpoint"`
	TokenEndpointAuthMethods []string `json:"token_endpoint_auth_methods_supported"`
}

func newMetadataResponse(base string) metadataResponse {
	auth := []string{"client_secret_basic", "client_secret_post"}
	return metadataResponse{
		GrantTypes:               []string{"client_credentials"},
		IntrospectionEndpoint:    base + "/oauth2/introspect",
		IntrospectionAuthMethods: auth,
		Issuer:                   base,
		JWKSURI:                  base + "/.well-known/jwks.json",
		ResponseTypes:            []string{},
		Scopes:                   []string{service.ScopeIntegration},
		TokenEndpoint:            base + "/as/token",
		TokenEndpointAuthMethods: auth,
	}
}

// acceptedResponse is the intake's 202: {"accepted":N,"ids":[…]}. The
// handler appends it by hand (acceptedJSON), which must agree with it.
type acceptedResponse struct {
	Accepted int      `json:"accepted"`
	IDs      []string `json:"ids"`
}
