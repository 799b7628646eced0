package webhooks

import (
	"net/netip"
	"testing"
)

func TestOnlyPublicAddressesAreReached(t *testing.T) {
	for addr, public := range map[string]bool{
		"93.184.216.34": true, "2606:2800:220:1:248:1893:25c8:1946": true, "8.8.8.8": true,
		"127.0.0.1": false, "127.8.9.1": false, "::1": false, // loopback
		"10.1.2.3": false, "172.16.0.1": false, "172.31.255.255": false, "192.168.1.1": false, "fd12:3456::1": false, // private
		"169.254.169.254": false, "fe80::1": false, // link-local (cloud metadata)
		"224.0.0.1": false, "ff02::1": false, "239.255.255.250": false, // multicast
		"0.0.0.0": false, "::": false, "0.1.2.3": false, // unspecified, "this network"
		"100.64.0.1": false, "100.127.255.254": false, // CGNAT
		"255.255.255.255": false, "240.0.0.1": false, "198.18.0.1": false, "192.0.2.1": false, // reserved
		"::ffff:127.0.0.1": false, "::ffff:10.0.0.1": false, "::ffff:169.254.169.254": false, "::ffff:8.8.8.8": true, // IPv4-mapped
		"::127.0.0.1": false, "64:ff9b::a00:1": false, "2002:a00:1::1": false, // IPv4-compatible, NAT64, 6to4
	} {
		if got := PublicAddress(netip.MustParseAddr(addr)); got != public {
			t.Errorf("PublicAddress(%s) = %v, want %v", addr, got, public)
		}
	}
}

func TestEndpointURLsAreCheckedWhenSaved(t *testing.T) {
	for url, ok := range map[string]bool{
		"https://hooks.partner.example/hpa": true, "https://93.184.216.34:8443/x": true,
		"http://hooks.partner.example/hpa": false, "https://user:pw@hooks.partner.example/": false, "https://hooks.partner.example/#x": false,
		"https://localhost/x": false, "https://printer.local/x": false, "https://10.0.0.1/x": false, "https://[::1]/x": false,
		"ftp://hooks.partner.example/": false, "hooks.partner.example": false, "https:///x": false,
	} {
		if err := checkURL(url, false); (err == nil) != ok {
			t.Errorf("checkURL(%q) = %v, want ok=%v", url, err, ok)
		}
	}
	if err := checkURL("http://127.0.0.1:8080/hook", true); err != nil {
		t.Errorf("development allows a local receiver over http: %v", err)
	}
}
