package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/harmedpatients/hpa/internal/hpa"
)

// Limits on one delivery attempt.
const (
	dialTimeout      = 5 * time.Second
	maxResponseBytes = 64 << 10 // read (and dropped) before the connection is reused
)

// reserved are ranges that net/netip's predicates do not cover but that
// never hold a partner's public endpoint: "this network", shared address
// space (CGNAT), IETF protocol assignments, documentation, benchmarking,
// the reserved block and broadcast; IPv4-compatible IPv6, NAT64 and 6to4
// (which can reach an internal IPv4 address), discard-only and
// documentation IPv6.
var reserved = func() []netip.Prefix {
	var out []netip.Prefix
	for _, p := range []string{"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15", "198.51.100.0/24",
		"203.0.113.0/24", "240.0.0.0/4", "::/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001:db8::/32", "2002::/16"} {
		out = append(out, netip.MustParsePrefix(p))
	}
	return out
}()

// PublicAddress reports whether a is an address a webhook may be sent to:
// not private, loopback, link-local, multicast, unspecified, CGNAT or
// otherwise reserved, for IPv4 and IPv6 alike (an IPv4-mapped IPv6 address
// counts as its IPv4 address).
func PublicAddress(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range reserved {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// errRefusedAddress is the error of a delivery to a host that resolves to
// an address webhooks may not reach.
var errRefusedAddress = errors.New("refused: the host resolves to a private, loopback, link-local or reserved address")

// guardedDialer resolves the host itself, refuses it if any address it
// resolves to is not public, and connects to an address it checked, so a
// DNS answer that changes between check and connection (rebinding) cannot
// swap in another address.
type guardedDialer struct {
	dialer       net.Dialer
	resolver     *net.Resolver
	allowPrivate bool
}

func (d *guardedDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	addrs, err := d.resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("%s has no address", host)
	}
	if !d.allowPrivate {
		for _, a := range addrs {
			if !PublicAddress(a) {
				return nil, errRefusedAddress
			}
		}
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return nil, err
	}
	var last error
	for _, a := range addrs {
		conn, err := d.dialer.DialContext(ctx, network, netip.AddrPortFrom(a.Unmap(), uint16(p)).String())
		if err == nil {
			return conn, nil
		}
		last = err
	}
	return nil, last
}

// newClient is the HTTP client deliveries go through: the guarded dialer,
// no proxy from the environment (it would connect for us, unchecked), no
// redirects (a 3xx is a failed attempt, so a redirect cannot lead to an
// internal address either), and timeout for the whole attempt.
func newClient(allowPrivate bool, timeout time.Duration, perHost int) *http.Client {
	d := &guardedDialer{dialer: net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}, resolver: net.DefaultResolver, allowPrivate: allowPrivate}
	transport := &http.Transport{
		Proxy:                  nil,
		DialContext:            d.DialContext,
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    dialTimeout,
		ResponseHeaderTimeout:  timeout,
		MaxResponseHeaderBytes: 16 << 10,
		MaxIdleConnsPerHost:    perHost,
		IdleConnTimeout:        90 * time.Second,
	}
	return &http.Client{Transport: transport, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// checkURL refuses an endpoint URL that could never be delivered to: not
// https (http only when private addresses are allowed, for development),
// with credentials or a fragment, or naming a host that is obviously not
// public. Delivery checks the resolved address again every time.
func checkURL(raw string, allowPrivate bool) error {
	bad := func(why string) error { return hpa.Invalid("body.url", why) }
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return bad("must be an absolute URL such as https://example.org/hpa-webhooks")
	}
	switch {
	case u.Scheme != "https" && !(u.Scheme == "http" && allowPrivate):
		return bad("must use https")
	case u.User != nil:
		return bad("must not carry a user name or password: authenticate deliveries by their signature")
	case u.Fragment != "" || strings.HasSuffix(raw, "#"):
		return bad("must not have a fragment")
	}
	if allowPrivate {
		return nil
	}
	host := strings.ToLower(u.Hostname())
	if host == "localhost" || strings.HasSuffix(host, ".localhost") || strings.HasSuffix(host, ".local") || strings.HasSuffix(host, ".internal") {
		return bad("must name a public host")
	}
	if a, err := netip.ParseAddr(host); err == nil && !PublicAddress(a) {
		return bad("must name a public host: private, loopback, link-local and reserved addresses are refused")
	}
	return nil
}
