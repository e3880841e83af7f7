package integration

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/events-platform/events-platform/migrations"
)

// DurableSettings are the settings that make PostgreSQL acknowledge a commit only once it
// survives a crash, as hack/deps.sh and the operator's managed PostgreSQL run it.
var DurableSettings = []string{"synchronous_commit = on", "fsync = on", "full_page_writes = on"}

// Postgres is a PostgreSQL server of one test's own, on a free loopback port, for tests
// that stop or crash it: the shared server of hack/deps.sh stays untouched. It is stopped
// and its folder removed when the test ends.
type Postgres struct {
	// URL is the address of its database, migrated to the latest schema.
	URL string

	bin  string // the folder of initdb and pg_ctl
	dir  string // holds data/ and server.log
	port int
	cred *syscall.Credential // the postgres user's, when running as root
}

// StartPostgres initialises a server with DurableSettings followed by settings ("name =
// value" lines, which win: a test may pass "synchronous_commit = off" to see what the
// durable settings prevent), starts it and creates a migrated database.
func StartPostgres(t testing.TB, settings ...string) *Postgres {
	t.Helper()
	bin, err := postgresBin()
	if err != nil {
		t.Fatalf("%v; %s", err, hint)
	}
	p := &Postgres{bin: bin}
	// As root, PostgreSQL runs as the postgres user, on a folder it owns (t.TempDir's
	// parents are closed to it).
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("PostgreSQL refuses to run as root and there is no postgres user: %v", err)
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		p.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	if p.dir, err = os.MkdirTemp("", "platform-pg-"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(p.dir) })
	if p.cred != nil {
		if err := os.Chown(p.dir, int(p.cred.Uid), int(p.cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	if p.port, err = freePort(); err != nil {
		t.Fatal(err)
	}

	data := filepath.Join(p.dir, "data")
	if out, err := p.command("initdb", "-D", data, "-U", "platform", "--auth=trust", "-E", "UTF8",
		"--locale=C.UTF-8", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	conf := []string{
		"listen_addresses = '127.0.0.1'",
		fmt.Sprintf("port = %d", p.port),
		"unix_socket_directories = ''",
		"max_connections = 100",
		"log_min_messages = warning",
	}
	conf = append(append(conf, DurableSettings...), settings...)
	f, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString("\n" + strings.Join(conf, "\n") + "\n")
		err = errors.Join(err, f.Close())
	}
	if err != nil {
		t.Fatalf("configure PostgreSQL: %v", err)
	}
	t.Cleanup(func() {
		if p.running() {
			_ = p.command("pg_ctl", "stop", "-D", data, "-m", "immediate", "-w").Run()
		}
	})
	p.Start(t)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin := fmt.Sprintf("postgres://platform@127.0.0.1:%d/postgres?sslmode=disable", p.port)
	c, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("connect to the test's PostgreSQL: %v", err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE platform"); err != nil {
		t.Fatalf("create database: %v", err)
	}
	u, _ := url.Parse(admin)
	u.Path = "/platform"
	p.URL = u.String()
	r, err := migrations.Open(p.URL)
	if err != nil {
		t.Fatalf("open migrations: %v", err)
	}
	defer r.Close()
	if err := r.Up(); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return p
}

// Kill stops the server as a crash would (`pg_ctl stop -m immediate`): every process ends
// at once, nothing is flushed, and the next start recovers from the write-ahead log.
func (p *Postgres) Kill(t testing.TB) {
	t.Helper()
	if out, err := p.command("pg_ctl", "stop", "-D", filepath.Join(p.dir, "data"), "-m", "immediate", "-w").CombinedOutput(); err != nil {
		t.Fatalf("pg_ctl stop -m immediate: %v\n%s", err, out)
	}
}

// Start starts the server (again, on the same data and port) and waits until it accepts
// connections.
func (p *Postgres) Start(t testing.TB) {
	t.Helper()
	if out, err := p.command("pg_ctl", "start", "-D", filepath.Join(p.dir, "data"), "-l", filepath.Join(p.dir, "server.log"),
		"-w", "-t", "60").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(p.dir, "server.log"))
		t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
}

// running reports whether the server's postmaster is up.
func (p *Postgres) running() bool {
	return p.command("pg_ctl", "status", "-D", filepath.Join(p.dir, "data")).Run() == nil
}

func (p *Postgres) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(p.bin, name), args...)
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8")
	if p.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	}
	return cmd
}

// postgresBin finds the folder of initdb and pg_ctl, preferring PostgreSQL 15 as
// hack/deps.sh does.
func postgresBin() (string, error) {
	dirs := []string{"/usr/lib/postgresql/15/bin"}
	more, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	dirs = append(dirs, more...)
	if pgCtl, err := exec.LookPath("pg_ctl"); err == nil {
		if real, err := filepath.EvalSymlinks(pgCtl); err == nil {
			dirs = append(dirs, filepath.Dir(real))
		}
	}
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "pg_ctl")) && isExecutable(filepath.Join(d, "initdb")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("no PostgreSQL server binaries (initdb, pg_ctl) in %s or on PATH", strings.Join(dirs, ", "))
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// freePort returns a loopback port nothing listens on now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
