package visits

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/url"
	"sync/atomic"
	"testing"
)

// commitLoser is a TCP proxy in front of PostgreSQL that, once armed,
// loses the answer to the next COMMIT: the server commits, and the client
// sees its connection drop without knowing whether it did. A database
// restart or a network fault at the wrong moment does the same.
type commitLoser struct {
	ln     net.Listener
	target string
	armed  atomic.Bool
	// lost is called when an answer is dropped, before the client sees
	// the connection close.
	lost func()
}

// startCommitLoser proxies to the server of dbURL and returns the proxy
// and the URL that reaches the same database through it.
func startCommitLoser(t *testing.T, dbURL string, lost func()) (*commitLoser, string) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &commitLoser{ln: ln, target: u.Host, lost: lost}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	u.Host = ln.Addr().String()
	return p, u.String()
}

// serve copies the client's bytes to the server as they are, and the
// server's message by message (a type byte, then a length that counts
// itself), so that it can recognise the answer to COMMIT.
func (p *commitLoser) serve(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer server.Close()
	go func() { _, _ = io.Copy(server, client); _ = server.Close() }()
	r := bufio.NewReader(server)
	for {
		head := make([]byte, 5)
		if _, err := io.ReadFull(r, head); err != nil {
			return
		}
		n := binary.BigEndian.Uint32(head[1:])
		if n < 4 {
			return
		}
		body := make([]byte, n-4)
		if _, err := io.ReadFull(r, body); err != nil {
			return
		}
		if head[0] == 'C' && string(body) == "COMMIT\x00" && p.armed.CompareAndSwap(true, false) {
			p.lost()
			return
		}
		if _, err := client.Write(append(head, body...)); err != nil && !errors.Is(err, net.ErrClosed) {
			return
		}
	}
}
