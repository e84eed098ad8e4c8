package keyhouse

import (
	"net/netip"
	"strings"
	"time"
)

// Key lifecycle limits (SPEC §10).
const (
	// MaxGrace is the longest an old key may keep working after a roll.
	MaxGrace = 7 * 24 * time.Hour
	// MaxAllowedCIDRs is the most address ranges one key may carry.
	MaxAllowedCIDRs = 100
	// MaxKeyLifetimeDays is the largest organization maximum lifetime.
	MaxKeyLifetimeDays = 3650
)

// HasExpired reports whether the key has stopped working at now: it has an
// expiry and now is not before it.
func (k *APIKey) HasExpired(now time.Time) bool {
	return k.ExpiresAt != nil && !now.Before(*k.ExpiresAt)
}

// AllowsAddress reports whether a request from ip may use the key: the
// key carries no ranges, or ip is in one of them. An address that does not
// parse is in none.
func (k *APIKey) AllowsAddress(ip string) bool {
	if len(k.AllowedCIDRs) == 0 {
		return true
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap().WithZone("")
	for _, p := range k.AllowedCIDRs {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ParseCIDRs validates the address ranges of a key: at most
// MaxAllowedCIDRs, each a CIDR range without host bits (a bare address is
// its own range). Errors name the field and the index.
func ParseCIDRs(field string, list []string) ([]netip.Prefix, error) {
	if len(list) > MaxAllowedCIDRs {
		return nil, Errorf(EINVALID, "%s: at most %d ranges (got %d)", field, MaxAllowedCIDRs, len(list))
	}
	out := make([]netip.Prefix, 0, len(list))
	for i, s := range list {
		p, err := parseCIDR(strings.TrimSpace(s))
		if err != nil {
			return nil, Errorf(EINVALID, "%s[%d]: %s", field, i, err.Message)
		}
		out = append(out, p)
	}
	return out, nil
}

// parseCIDR parses one range: "203.0.113.0/24", "2001:db8::/32" or a bare
// address.
func parseCIDR(s string) (netip.Prefix, *Error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, Errorf(EINVALID, "must be a CIDR range like 203.0.113.0/24 or 2001:db8::/32")
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, Errorf(EINVALID, "must be a CIDR range like 203.0.113.0/24 or 2001:db8::/32")
	}
	if p.Addr().Is4In6() {
		return netip.Prefix{}, Errorf(EINVALID, "write an IPv4 range as IPv4, like 203.0.113.0/24")
	}
	if p.Masked() != p {
		return netip.Prefix{}, Errorf(EINVALID, "%s has bits set past the prefix; did you mean %s?", s, p.Masked())
	}
	return p, nil
}

// FormatCIDRs is the stored and displayed form of ranges: comma-separated.
func FormatCIDRs(ps []netip.Prefix) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.String()
	}
	return strings.Join(parts, ",")
}

// ValidateExpiry checks the expiry asked for a new key at now: in the
// future, and at most maxDays ahead when the organization sets a maximum.
func ValidateExpiry(expiresAt, now time.Time, maxDays *int) error {
	if !expiresAt.After(now) {
		return Errorf(EINVALID, "expires_at: must be in the future")
	}
	if maxDays != nil && expiresAt.After(now.Add(LifetimeDays(*maxDays))) {
		return Errorf(EINVALID, "expires_at: at most %d days ahead (the organization's maximum key lifetime)", *maxDays)
	}
	return nil
}

// ValidateMaxLifetime checks an organization's maximum key lifetime: nil
// (none) or 1 to MaxKeyLifetimeDays days.
func ValidateMaxLifetime(days *int) error {
	if days != nil && (*days < 1 || *days > MaxKeyLifetimeDays) {
		return Errorf(EINVALID, "max_key_lifetime_days: must be null or 1 to %d", MaxKeyLifetimeDays)
	}
	return nil
}

// LifetimeDays is n days as a duration.
func LifetimeDays(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

// ExpiryMail tells an Owner that a key stops working soon.
type ExpiryMail struct {
	To               string
	OrganizationName string
	Environment      Environment
	ClientID         string
	KeyID            string
	Description      string
	ExpiresAt        time.Time
	SentAt           time.Time // when it is written, for "in 3 days"
	URL              string    // the API Keys page
}
