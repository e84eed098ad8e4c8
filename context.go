package keyhouse

import "context"

// Principal is who performs an action: a signed-in member of one
// organization, or the operator at the command line.
type Principal struct {
	UserID    string
	Email     string
	OrgID     string
	Roles     Roles
	Operator  bool   // the command line: every permission in OrgID
	TokenHash []byte // the session's token hash; nil for the operator
}

// Actor names the principal in audit events and created_by fields.
func (p *Principal) Actor() string {
	if p.Operator {
		return "operator"
	}
	return p.Email
}

// RequestInfo is where a request came from, for audit events and sign-in
// throttling.
type RequestInfo struct {
	IP        string
	UserAgent string
}

type principalKey struct{}
type requestKey struct{}

// NewContextWithPrincipal returns ctx carrying p.
func NewContextWithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFromContext returns the principal in ctx, or nil.
func PrincipalFromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// NewContextWithRequest returns ctx carrying info.
func NewContextWithRequest(ctx context.Context, info RequestInfo) context.Context {
	return context.WithValue(ctx, requestKey{}, info)
}

// RequestFromContext returns the request info in ctx (zero when none).
func RequestFromContext(ctx context.Context) RequestInfo {
	info, _ := ctx.Value(requestKey{}).(RequestInfo)
	return info
}
