package keyhouse

import (
	"slices"
	"strings"
)

// Role is a set of permissions a member holds in an organization.
type Role string

// The four roles, from most to least powerful.
const (
	RoleOwner    Role = "owner"
	RoleAdmin    Role = "admin"
	RoleStandard Role = "standard"
	RoleView     Role = "view"
)

// AllRoles lists every role, most powerful first.
var AllRoles = []Role{RoleOwner, RoleAdmin, RoleStandard, RoleView}

// Roles is a member's set of roles, kept sorted and without duplicates.
type Roles []Role

// ParseRoles validates names and returns them as a normalized set. The set
// must not be empty.
func ParseRoles(field string, names []string) (Roles, error) {
	if len(names) == 0 {
		return nil, Errorf(EINVALID, "%s: at least one role is required", field)
	}
	var rs Roles
	for _, n := range names {
		r := Role(n)
		if !slices.Contains(AllRoles, r) {
			return nil, Errorf(EINVALID, "%s: %q is not a role (owner, admin, standard, view)", field, n)
		}
		if !rs.Has(r) {
			rs = append(rs, r)
		}
	}
	return rs.normalize(), nil
}

// Has reports whether r is in the set.
func (rs Roles) Has(r Role) bool { return slices.Contains(rs, r) }

// HasAny reports whether any of want is in the set.
func (rs Roles) HasAny(want ...Role) bool {
	for _, r := range want {
		if rs.Has(r) {
			return true
		}
	}
	return false
}

// String returns the roles joined by commas, the form the store keeps.
func (rs Roles) String() string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ",")
}

// RolesFromString parses the store's comma-separated form.
func RolesFromString(s string) Roles {
	var rs Roles
	for p := range strings.SplitSeq(s, ",") {
		if p != "" {
			rs = append(rs, Role(p))
		}
	}
	return rs.normalize()
}

// normalize orders the set as AllRoles does.
func (rs Roles) normalize() Roles {
	slices.SortFunc(rs, func(a, b Role) int {
		return slices.Index(AllRoles, a) - slices.Index(AllRoles, b)
	})
	return slices.Compact(rs)
}
