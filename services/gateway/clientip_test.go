package gateway

import (
	"net/http"
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	tests := []struct {
		name    string
		trusted []string
		remote  string
		xff     []string
		want    string
	}{
		{"direct client", nil, "198.51.100.9:5123", nil, "198.51.100.9"},
		{"forwarded-for from an untrusted peer is ignored", nil, "198.51.100.9:5123", []string{"1.2.3.4"}, "198.51.100.9"},
		{"trusted proxy names the client", []string{"10.0.0.0/8"}, "10.1.2.3:80", []string{"203.0.113.5"}, "203.0.113.5"},
		{"right-most untrusted hop wins over a forged left part", []string{"10.0.0.0/8"}, "10.1.2.3:80",
			[]string{"1.1.1.1, 203.0.113.5, 10.9.9.9"}, "203.0.113.5"},
		{"several headers read as one list", []string{"10.0.0.0/8"}, "10.1.2.3:80", []string{"1.1.1.1", "203.0.113.5"}, "203.0.113.5"},
		{"all hops trusted: the left-most", []string{"10.0.0.0/8"}, "10.1.2.3:80", []string{"10.0.0.1, 10.0.0.2"}, "10.0.0.1"},
		{"garbage stops the walk at the last trusted hop", []string{"10.0.0.0/8"}, "10.1.2.3:80", []string{"1.1.1.1, junk, 10.0.0.2"}, "10.0.0.2"},
		{"trusted proxy without the header", []string{"10.0.0.0/8"}, "10.1.2.3:80", nil, "10.1.2.3"},
		{"single trusted address", []string{"192.0.2.1"}, "192.0.2.1:80", []string{"203.0.113.5"}, "203.0.113.5"},
		{"IPv6 peer", nil, "[2001:db8::1]:443", nil, "2001:db8::1"},
		{"IPv6 hop with port", []string{"::1/128"}, "[::1]:80", []string{"[2001:db8::2]:1234"}, "2001:db8::2"},
		{"IPv4-mapped IPv6 peer", nil, "[::ffff:198.51.100.9]:1", nil, "198.51.100.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := newClientIPResolver(tt.trusted)
			if err != nil {
				t.Fatal(err)
			}
			r := &http.Request{RemoteAddr: tt.remote, Header: http.Header{"X-Forwarded-For": tt.xff}}
			if got := res.clientIP(r).String(); got != tt.want {
				t.Errorf("clientIP = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestRateKey(t *testing.T) {
	tests := []struct {
		ip, want string
	}{
		{"203.0.113.5", "203.0.113.5"},
		{"2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"},
	}
	for _, tt := range tests {
		if got := rateKey(netip.MustParseAddr(tt.ip)); got != tt.want {
			t.Errorf("rateKey(%s) = %s, want %s", tt.ip, got, tt.want)
		}
	}
}
