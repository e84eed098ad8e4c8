package service

import (
	"context"

	"keyhouse"
)

// permission is one row of the permission table of SPEC §1.
type permission int

const (
	permViewKeys    permission = iota // see the API Keys page, list clients and keys
	permInitClient                    // initialize a client
	permManageKeys                    // generate, edit, delete an API key
	permManageUsers                   // invite, change roles, remove, reset (admin: not owners)
	permAudit                         // read and export the audit report
	permSummary                       // see the data-received summary
	permOrgPolicy                     // change the organization's key policy
)

// allowed lists the roles that hold each permission.
var allowed = map[permission][]keyhouse.Role{
	permViewKeys:    {keyhouse.RoleOwner, keyhouse.RoleAdmin},
	permInitClient:  {keyhouse.RoleOwner, keyhouse.RoleAdmin},
	permManageKeys:  {keyhouse.RoleOwner},
	permManageUsers: {keyhouse.RoleOwner, keyhouse.RoleAdmin},
	permAudit:       {keyhouse.RoleOwner, keyhouse.RoleAdmin},
	permSummary:     keyhouse.AllRoles,
	permOrgPolicy:   {keyhouse.RoleOwner},
}

// authorize returns the principal in ctx when it holds perm: EUNAUTHORIZED
// without one, EFORBIDDEN when its roles do not allow it.
func authorize(ctx context.Context, perm permission) (*keyhouse.Principal, error) {
	p, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	return p, can(p, perm)
}

// signedIn returns the principal in ctx, or EUNAUTHORIZED. Methods that
// act on one object call it first, look the object up in the principal's
// organization (ENOTFOUND for another organization's), and only then call
// can: another organization's objects answer 404, never 403.
func signedIn(ctx context.Context) (*keyhouse.Principal, error) {
	p := keyhouse.PrincipalFromContext(ctx)
	if p == nil {
		return nil, keyhouse.Errorf(keyhouse.EUNAUTHORIZED, "sign in first")
	}
	return p, nil
}

// grants reports whether roles hold perm.
func grants(roles keyhouse.Roles, perm permission) bool { return roles.HasAny(allowed[perm]...) }

// can answers EFORBIDDEN unless p holds perm.
func can(p *keyhouse.Principal, perm permission) error {
	if p.Operator || grants(p.Roles, perm) {
		return nil
	}
	return keyhouse.Errorf(keyhouse.EFORBIDDEN, "your role does not allow this")
}

// Can reports whether the principal in ctx holds the permission to manage
// API keys, initialize clients, view keys, manage users or read the audit
// report, for views that hide what the user may not do.
type Can struct {
	ViewKeys    bool
	InitClient  bool
	ManageKeys  bool
	ManageUsers bool
	Audit       bool
}

// Permissions returns what the principal in ctx may do.
func Permissions(ctx context.Context) Can {
	ok := func(perm permission) bool { _, err := authorize(ctx, perm); return err == nil }
	return Can{
		ViewKeys: ok(permViewKeys), InitClient: ok(permInitClient), ManageKeys: ok(permManageKeys),
		ManageUsers: ok(permManageUsers), Audit: ok(permAudit),
	}
}
