package pgtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/peterldowns/pgtestdb"
)

// Cluster is a PostgreSQL server of the test's own, which the test may stop
// and start (to see what the service does while its database is away)
// without touching the shared server every other test uses.
type Cluster struct {
	t       testing.TB
	bin     string
	dataDir string
	sockDir string
	port    int
	asOwner []string // the command prefix that runs a program as the cluster's owner
}

// StartCluster initialises and starts a throwaway cluster on a free
// 127.0.0.1 port, stopped and removed when the test ends. It skips the test
// when the PostgreSQL server programs (initdb, pg_ctl) are not installed.
// Run as root, the cluster belongs to the postgres user (initdb refuses to
// run as root), so its directories live under the system's temporary
// directory, which that user can reach.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	bin := serverBinaries()
	if bin == "" {
		t.Skip("PostgreSQL server programs (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin or on PATH: install postgresql to run this test")
	}
	c := &Cluster{t: t, bin: bin}
	if os.Geteuid() == 0 {
		if _, err := user.Lookup("postgres"); err != nil {
			t.Skip("running as root and there is no postgres user to own a throwaway cluster")
		}
		c.asOwner = []string{"runuser", "-u", "postgres", "--"}
	}
	root, err := os.MkdirTemp("", "hpa-pg-")
	if err != nil {
		t.Fatalf("cluster directory: %v", err)
	}
	// Short: a Unix socket path must stay under 107 bytes.
	c.dataDir, c.sockDir = filepath.Join(root, "data"), filepath.Join(root, "s")
	for _, dir := range []string{c.dataDir, c.sockDir} {
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatalf("cluster directory: %v", err)
		}
	}
	if c.asOwner != nil {
		u, _ := user.Lookup("postgres")
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		for _, dir := range []string{root, c.dataDir, c.sockDir} {
			if err := os.Chown(dir, uid, gid); err != nil {
				t.Fatalf("cluster directory: %v", err)
			}
		}
	}
	t.Cleanup(func() {
		_ = c.pgCtl("stop", "-m", "immediate")
		if err := os.RemoveAll(root); err != nil {
			t.Logf("throwaway cluster left in %s: %v", root, err)
		}
	})
	if out, err := c.command("initdb", "-D", c.dataDir, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	c.port = freePort(t)
	c.Start()
	return c
}

// URL is the cluster's maintenance database, for pgtestdb or psql.
func (c *Cluster) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// NewDatabase returns a connection string for a new, migrated, empty
// database on the cluster, as URL does on the shared server.
func (c *Cluster) NewDatabase(t testing.TB) string {
	t.Helper()
	// pgtestdb remembers, per program, the roles and templates it has
	// made by role name, whatever the server: a role of the cluster's own
	// makes it make them again here.
	role := pgtestdb.DefaultRole()
	role.Username = fmt.Sprintf("%s_%d", role.Username, c.port)
	return pgtestdb.Custom(t, pgtestdb.Config{DriverName: "pgx", Host: "127.0.0.1", Port: strconv.Itoa(c.port),
		User: "postgres", Database: "postgres", Options: "sslmode=disable", TestRole: &role}, migrator{}).URL()
}

// Start starts the stopped cluster and waits until it accepts connections.
// Started from another goroutine, it must end before the test does.
func (c *Cluster) Start() {
	c.t.Helper()
	// fsync=off loses data only if the machine itself crashes; commits
	// stay synchronous, so a crash of PostgreSQL (Stop("immediate")) loses
	// nothing it acknowledged, as in production.
	err := c.pgCtl("start", "-w", "-t", "60", "-l", filepath.Join(c.dataDir, "server.log"), "-o",
		fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off", c.port, c.sockDir))
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dataDir, "server.log"))
		c.t.Fatalf("start cluster: %v\n%s", err, log)
	}
}

// Stop stops the cluster: mode "immediate" is a crash as far as clients
// can tell (connections cut, no goodbye), "fast" a clean shutdown that
// ends sessions with 57P01, "smart" waits for sessions to end.
func (c *Cluster) Stop(mode string) {
	c.t.Helper()
	if err := c.pgCtl("stop", "-w", "-t", "60", "-m", mode); err != nil {
		c.t.Fatalf("stop cluster (%s): %v", mode, err)
	}
}

// Restart stops the cluster in mode and starts it again.
func (c *Cluster) Restart(mode string) {
	c.t.Helper()
	c.Stop(mode)
	c.Start()
}

func (c *Cluster) pgCtl(args ...string) error {
	out, err := c.command("pg_ctl", append([]string{"-D", c.dataDir}, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

func (c *Cluster) command(program string, args ...string) *exec.Cmd {
	argv := append(append(append([]string{}, c.asOwner...), filepath.Join(c.bin, program)), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = os.TempDir() // the owner may not be able to reach the test's directory
	return cmd
}

// serverBinaries finds the newest installed PostgreSQL's programs, as
// scripts/dev-postgres.sh does, or "" if there are none.
func serverBinaries() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range append(dirs, "/usr/local/pgsql/bin") {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	return ""
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// freePort asks the kernel for a port no one listens on.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
