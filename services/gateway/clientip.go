package gateway

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// clientIPResolver finds the address a request came from. X-Forwarded-For is believed only
// as far as it was written by proxies we trust: anything left of the first untrusted hop
// may have been sent by the client itself.
type clientIPResolver struct {
	trusted []netip.Prefix
}

func newClientIPResolver(cidrs []string) (clientIPResolver, error) {
	var r clientIPResolver
	for _, c := range cidrs {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		p, err := netip.ParsePrefix(c)
		if err != nil {
			a, aerr := netip.ParseAddr(c)
			if aerr != nil {
				return r, fmt.Errorf("gateway: TRUSTED_PROXY_CIDRS: %q is neither a CIDR nor an address", c)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		r.trusted = append(r.trusted, p.Masked())
	}
	return r, nil
}

// clientIP returns RemoteAddr's address, or, when RemoteAddr is a trusted proxy, the
// right-most X-Forwarded-For hop that is not; when every hop is trusted, the left-most.
// It returns the zero Addr only when RemoteAddr does not parse.
func (c clientIPResolver) clientIP(r *http.Request) netip.Addr {
	ip := parseHop(r.RemoteAddr)
	if !ip.IsValid() || !c.isTrusted(ip) {
		return ip
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := parseHop(hops[i])
		if !hop.IsValid() {
			// Garbage in the chain: the last hop we could trust is all we know.
			return ip
		}
		ip = hop
		if !c.isTrusted(hop) {
			return hop
		}
	}
	return ip
}

// fromTrustedProxy reports whether r's connection comes from a trusted proxy.
func (c clientIPResolver) fromTrustedProxy(r *http.Request) bool {
	ip := parseHop(r.RemoteAddr)
	return ip.IsValid() && c.isTrusted(ip)
}

// isTrusted reports whether ip is one of the trusted proxies.
func (c clientIPResolver) isTrusted(ip netip.Addr) bool {
	for _, p := range c.trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// parseHop parses "addr", "addr:port" or "[v6]:port", mapping IPv4-in-IPv6 to IPv4.
func parseHop(s string) netip.Addr {
	s = strings.TrimSpace(s)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap()
	}
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return a.Unmap()
	}
	return netip.Addr{}
}

// rateKey returns the rate-limit identity of a client address. An IPv6 client usually
// holds a whole /64, so limiting single addresses would let it rotate past the limit.
func rateKey(ip netip.Addr) string {
	if !ip.IsValid() {
		return "unknown"
	}
	if ip.Is6() {
		p, _ := ip.WithZone("").Prefix(64)
		return p.String()
	}
	return ip.String()
}
