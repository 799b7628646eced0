package faults

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// service is the hpa binary running as a real process, as in production:
// the suite signals it, kills it and starts it again on the same address.
type service struct {
	t    testing.TB
	bin  string
	dir  string   // pid file and logs
	env  []string // HPA_* settings
	url  string
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	runs int
}

// buildService compiles cmd/hpa once into dir (root: the module's root).
func buildService(root, dir string) (string, error) {
	bin := filepath.Join(dir, "hpa")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/hpa")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build hpa: %w\n%s", err, out)
	}
	return bin, nil
}

// repoRoot is the module's root, two levels above this package.
func repoRoot(t testing.TB) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(filepath.Dir(wd))
}

// newService prepares (but does not start) the service on a free port.
func newService(t testing.TB, bin, dir string, vars map[string]string) *service {
	port := freePort(t)
	s := &service{t: t, bin: bin, dir: dir, url: fmt.Sprintf("http://127.0.0.1:%d", port)}
	vars["HPA_HTTP_ADDR"] = fmt.Sprintf("127.0.0.1:%d", port)
	for k, v := range vars {
		s.env = append(s.env, k+"="+v)
	}
	s.env = append(s.env, "PATH="+os.Getenv("PATH"), "HOME="+os.Getenv("HOME"))
	t.Cleanup(func() { s.stop(syscall.SIGTERM, 40*time.Second) })
	return s
}

// run executes an hpa subcommand (such as `admin create`) with the
// service's settings and returns its output.
func (s *service) run(stdin string, args ...string) (string, error) {
	cmd := exec.Command(s.bin, args...)
	cmd.Env, cmd.Dir, cmd.Stdin = s.env, s.dir, strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// start launches `hpa serve` and waits until /readyz answers 200.
func (s *service) start(ctx context.Context) {
	s.t.Helper()
	s.mu.Lock()
	s.runs++
	logFile, err := os.Create(filepath.Join(s.dir, fmt.Sprintf("hpa-%d.log", s.runs)))
	if err != nil {
		s.mu.Unlock()
		s.t.Fatal(err)
	}
	cmd := exec.Command(s.bin, "serve")
	cmd.Env, cmd.Dir, cmd.Stdout, cmd.Stderr = s.env, s.dir, logFile, logFile
	// Should the suite itself die, the kernel kills the service too;
	// run.sh also kills it by the pid file.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		s.mu.Unlock()
		s.t.Fatalf("start hpa: %v", err)
	}
	pidFile := filepath.Join(s.dir, "hpa.pid")
	_ = os.WriteFile(pidFile, []byte(strconv.Itoa(cmd.Process.Pid)), 0o600)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logFile.Close(); _ = os.Remove(pidFile); close(done) }()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()

	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if r, err := client.Get(s.url + "/readyz"); err == nil {
			_, _ = io.Copy(io.Discard, r.Body)
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-done:
			s.t.Fatalf("hpa exited while starting; see %s", logFile.Name())
		case <-ctx.Done():
			s.t.Fatalf("hpa not ready: %v", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("hpa not ready within 60 s; see %s", logFile.Name())
		}
	}
}

// stop sends sig and waits for the process to end, killing it if it
// outlives wait. It does nothing when the service is not running.
func (s *service) stop(sig syscall.Signal, wait time.Duration) {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(wait):
		s.t.Errorf("hpa did not stop within %s of %s; killed", wait, sig)
		_ = cmd.Process.Kill()
		<-done
	}
}

// startStripeMock runs stripe-mock (HPA_STRIPE_MOCK, else .tools/bin)
// for the service's calls to Stripe's API and returns its base URL.
func startStripeMock(t testing.TB, dir string) string {
	t.Helper()
	bin := os.Getenv("HPA_STRIPE_MOCK")
	if bin == "" {
		bin = filepath.Join(repoRoot(t), ".tools", "bin", "stripe-mock")
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cmd := exec.Command(bin, "-http-addr", addr, "-https-addr", fmt.Sprintf("127.0.0.1:%d", freePort(t)))
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start stripe-mock (make tools installs it): %v", err)
	}
	pidFile := filepath.Join(dir, "stripe-mock.pid")
	_ = os.WriteFile(pidFile, []byte(strconv.Itoa(cmd.Process.Pid)), 0o600)
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); _ = os.Remove(pidFile) })
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "http://" + addr
		}
		if time.Now().After(deadline) {
			t.Fatal("stripe-mock did not listen within 30 s")
		}
	}
}

// freePort asks the kernel for a port no one listens on.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// proxy stands between the service and PostgreSQL. Paused, it stops
// forwarding in both directions and leaves new connections unanswered:
// a database that hangs rather than fails, as behind a dead network path.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cond   *sync.Cond
	paused bool
	closed bool
	conns  map[net.Conn]struct{}
}

// startProxy forwards a free loopback port to target until the test ends.
func startProxy(t testing.TB, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.cond = sync.NewCond(&p.mu)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// addr is where clients connect.
func (p *proxy) addr() string { return p.ln.Addr().String() }

// pause stops all forwarding; resume starts it again, as when a network
// path heals: what was held back is delivered.
func (p *proxy) pause() { p.setPaused(true) }

func (p *proxy) resume() { p.setPaused(false) }

func (p *proxy) setPaused(v bool) {
	p.mu.Lock()
	p.paused = v
	p.cond.Broadcast()
	p.mu.Unlock()
}

// gate blocks while paused; false once the proxy is closed.
func (p *proxy) gate() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.paused && !p.closed {
		p.cond.Wait()
	}
	return !p.closed
}

func (p *proxy) track(c net.Conn, add bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if add {
		if p.closed {
			return false
		}
		p.conns[c] = struct{}{}
	} else {
		delete(p.conns, c)
	}
	return true
}

func (p *proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.serve(c)
	}
}

func (p *proxy) serve(client net.Conn) {
	if !p.track(client, true) {
		client.Close()
		return
	}
	defer p.track(client, false)
	if !p.gate() {
		client.Close()
		return
	}
	server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil { // PostgreSQL down: the client sees its connection cut
		client.Close()
		return
	}
	if !p.track(server, true) {
		client.Close()
		server.Close()
		return
	}
	defer p.track(server, false)
	var wg sync.WaitGroup
	wg.Go(func() { p.pipe(server, client) })
	p.pipe(client, server)
	wg.Wait()
}

func (p *proxy) pipe(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.gate() {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *proxy) close() {
	p.mu.Lock()
	p.closed = true
	p.cond.Broadcast()
	conns := p.conns
	p.conns = map[net.Conn]struct{}{}
	p.mu.Unlock()
	p.ln.Close()
	for c := range conns {
		c.Close()
	}
}
