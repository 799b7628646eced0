// Command bare is the benchmark baseline: a plain net/http server that
// answers every request with fixed bytes (fetched once from a running HPA
// API), or 304 when If-None-Match names their ETag, so the API's
// throughput can be reported as a ratio against the cheapest possible
// server on the same machine, in the same run.
package main

import (
	"flag"
	"io"
	"log"
	"net"
	"net/http"
	"os"
)

func main() {
	from := flag.String("from", "", "URL whose body (and Content-Type, ETag, Cache-Control) to serve")
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	resp, err := http.Get(*from)
	if err != nil {
		log.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		log.Fatal(err)
	}
	header := http.Header{}
	for _, k := range []string{"Content-Type", "ETag", "Cache-Control"} {
		header.Set(k, resp.Header.Get(k))
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	os.Stdout.WriteString(ln.Addr().String() + "\n")
	etag := header.Get("ETag")
	log.Fatal(http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header()[k] = v
		}
		// The cheapest revalidation: the baseline for 304 paths.
		if etag != "" && r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write(body)
	})))
}
