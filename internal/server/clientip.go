package server

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// clientIP returns the address a request came from. It is the TCP peer,
// unless the peer is in a trusted range: then X-Forwarded-For is read
// from the right, each trusted proxy vouching for the address before it,
// and the first address not in a trusted range is the client. A value
// that is not an address ends the walk at the proxy that sent it; when
// every address is trusted, the left-most one is the client.
func clientIP(r *http.Request, trusted []netip.Prefix) string {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr // not a TCP peer (tests): nothing to trust
	}
	ip := peer.Addr().Unmap()
	if !isTrusted(ip, trusted) {
		return ip.String()
	}
	hops := r.Header.Values("X-Forwarded-For")
	for i := len(hops) - 1; i >= 0; i-- {
		list := strings.Split(hops[i], ",")
		for j := len(list) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(list[j]))
			if err != nil {
				return ip.String()
			}
			ip = a.Unmap().WithZone("")
			if !isTrusted(ip, trusted) {
				return ip.String()
			}
		}
	}
	return ip.String()
}

// isTrusted reports whether ip is in one of the trusted ranges.
func isTrusted(ip netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// ParseTrustedProxies parses a comma-separated list of CIDR ranges (a bare
// address is its own range), the value of --trusted-proxies.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return nil, fmt.Errorf("%q is not a CIDR range or an address", f)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
