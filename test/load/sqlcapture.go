package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The raw SQL phase of the search scenario runs the statements the search service itself
// sent to PostgreSQL, as it sent them: the scenario starts a second search process whose
// database connections pass through sqlRecorder, sends it searches one at a time, and
// keeps, for each, the statements (text, parameter types, parameter bytes and formats)
// that reached the server while it ran (none when the service answers from memory). Replaying them measures the database's part of a
// search without HTTP, JSON or the cache, and without the load tool having to know how
// the service builds its SQL.

// statement is one extended-protocol statement as a client sent it: its Parse (then, or
// earlier on the connection when prepared), and its Bind.
type statement struct {
	sql           string
	paramOIDs     []uint32
	paramFormats  []int16
	params        [][]byte
	resultFormats []int16
}

// sqlRecorder is a TCP proxy to PostgreSQL that records the statements its clients send.
type sqlRecorder struct {
	ln       net.Listener
	upstream string
	mu       sync.Mutex
	seen     []statement
}

// newSQLRecorder listens on a free loopback port and forwards each connection to
// upstream (host:port).
func newSQLRecorder(upstream string) (*sqlRecorder, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &sqlRecorder{ln: ln, upstream: upstream}
	go r.serve()
	return r, nil
}

func (r *sqlRecorder) addr() string { return r.ln.Addr().String() }

func (r *sqlRecorder) close() { _ = r.ln.Close() }

// since returns the statements recorded after the first n.
func (r *sqlRecorder) since(n int) []statement {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]statement(nil), r.seen[n:]...)
}

func (r *sqlRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}

func (r *sqlRecorder) serve() {
	for {
		client, err := r.ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer client.Close()
			server, err := net.Dial("tcp", r.upstream)
			if err != nil {
				return
			}
			defer server.Close()
			go func() { _, _ = io.Copy(client, server); client.Close() }()
			_ = r.forward(bufio.NewReader(client), server)
		}()
	}
}

// forward copies the client's messages to the server, recording each Parse and the Bind
// that follows it.
func (r *sqlRecorder) forward(from *bufio.Reader, to io.Writer) error {
	// Untyped messages first: SSL or GSS encryption requests (answered "no" with
	// sslmode=disable), then the startup message.
	for {
		head := make([]byte, 8)
		if _, err := io.ReadFull(from, head); err != nil {
			return err
		}
		msg, err := readBody(from, head, 0)
		if err != nil {
			return err
		}
		if _, err := to.Write(msg); err != nil {
			return err
		}
		if code := binary.BigEndian.Uint32(head[4:]); code != 80877103 && code != 80877104 {
			break
		}
	}
	// The statements parsed on this connection, by name ("" the unnamed one): a client
	// that prepares a statement once binds it by name afterwards, without a Parse.
	parsed := map[string]statement{}
	for {
		head := make([]byte, 5)
		if _, err := io.ReadFull(from, head); err != nil {
			return err
		}
		msg, err := readBody(from, head, 1)
		if err != nil {
			return err
		}
		switch body := msg[5:]; head[0] {
		case 'P':
			var p pgproto3.Parse
			if p.Decode(body) == nil {
				parsed[p.Name] = statement{sql: p.Query, paramOIDs: p.ParameterOIDs}
			}
		case 'B':
			var b pgproto3.Bind
			if b.Decode(body) == nil {
				if st, ok := parsed[b.PreparedStatement]; ok {
					st.paramFormats, st.params, st.resultFormats = b.ParameterFormatCodes, b.Parameters, b.ResultFormatCodes
					r.mu.Lock()
					r.seen = append(r.seen, st)
					r.mu.Unlock()
				}
			}
		case 'C':
			var c pgproto3.Close
			if c.Decode(body) == nil && c.ObjectType == 'S' {
				delete(parsed, c.Name)
			}
		}
		if _, err := to.Write(msg); err != nil {
			return err
		}
	}
}

// readBody returns the whole message whose first bytes are head, its length (which
// counts itself) starting at head[at].
func readBody(from io.Reader, head []byte, at int) ([]byte, error) {
	n := int(binary.BigEndian.Uint32(head[at:]))
	if n < 4 || n > 64<<20 {
		return nil, fmt.Errorf("bad message length %d", n)
	}
	msg := make([]byte, at+n)
	copy(msg, head)
	_, err := io.ReadFull(from, msg[len(head):])
	return msg, err
}

// searchStatements keeps the statements of a search, not the service's background work,
// told apart by their text: the refresh of the autocomplete terms (the service that kept
// its index in PostgreSQL), or the index in memory following the events changed since it
// last looked (by updated_at).
func searchStatements(all []statement) []statement {
	var out []statement
	for _, s := range all {
		sql := strings.ToUpper(strings.Join(strings.Fields(s.sql), " "))
		if strings.HasPrefix(sql, "REFRESH") || strings.HasPrefix(sql, "LISTEN") || strings.HasPrefix(sql, "SET") ||
			strings.HasPrefix(sql, "BEGIN") || strings.HasPrefix(sql, "COMMIT") || strings.HasPrefix(sql, "ROLLBACK") ||
			sql == "SELECT NOW()" || strings.Contains(sql, "WHERE UPDATED_AT >") {
			continue
		}
		out = append(out, s)
	}
	return out
}

// replay runs a search's statements one after another on one connection of the pool, as
// the service does, reading every row.
func replay(ctx context.Context, pool *pgxpool.Pool, stmts []statement) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	pg := conn.Conn().PgConn()
	for _, s := range stmts {
		if _, err := pg.ExecParams(ctx, s.sql, s.params, s.paramOIDs, s.paramFormats, s.resultFormats).Close(); err != nil {
			return err
		}
	}
	if len(stmts) == 0 {
		return errors.New("no statements")
	}
	return nil
}
