package httpapi

import "net/url"

// IsWebURL reports whether s is an absolute http or https URL with a host: the only links
// a page may show without running or leaking something (javascript:, data:, relative).
func IsWebURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Hostname() != ""
}
