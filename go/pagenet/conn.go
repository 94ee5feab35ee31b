//go:build js && wasm

package pagenet

import (
	"context"
	"io"
	"net"
	"runtime"
	"sync"
	"syscall/js"
	"time"
)

// chunk is the most one call moves across the boundary (the tables' own
// message size). Each Conn's JS buffers grow to it on demand, one per
// direction, so an idle Conn holds none.
const chunk = 64 * 1024

// buffer returns buf with room for n bytes (at most chunk), as a view of
// exactly n; it grows buf in powers of two.
func buffer(b *bindings, buf *js.Value, n int) js.Value {
	if n > chunk {
		n = chunk
	}
	if buf.IsUndefined() || buf.Length() < n {
		size := 4096
		for size < n {
			size *= 2
		}
		*buf = b.uint8Array.New(size)
	}
	if buf.Length() == n {
		return *buf
	}
	return buf.Call("subarray", 0, n)
}

// Addr is an address as the page knows it: the relay resolves names
// itself, so a name dialled stays a name ("redis.internal:6379"), and a
// WebSocket's address is its URL.
type Addr struct {
	Net  string // "tcp", "udp", "ws", "wss"
	Host string // host:port, or the URL for ws and wss
}

func (a *Addr) Network() string { return a.Net }
func (a *Addr) String() string  { return a.Host }

// The page has no address of its own to show.
var (
	localTCP = &net.TCPAddr{IP: net.IPv4zero}
	localUDP = &net.UDPAddr{IP: net.IPv4zero}
)

// Conn is a net.Conn over one of the page's Conn handles (a Wisp stream,
// a wsproxy socket or a WebSocket). Reads wait for the table's wake;
// deadlines are the table's own (timer-driven, the connection stays
// usable after one passes); Close wakes a blocked Read.
type Conn struct {
	b      *bindings
	h      int
	local  net.Addr
	remote net.Addr

	rmu      sync.Mutex // one Read at a time owns rbuf, ahead and aheadBuf
	rbuf     js.Value
	ahead    []byte // read from the table beyond what the last Read asked for
	aheadBuf []byte
	wmu      sync.Mutex // Writes are whole and in order
	wbuf     js.Value

	closeOnce sync.Once
}

func newConn(b *bindings, h int, local, remote net.Addr) *Conn {
	c := &Conn{b: b, h: h, local: local, remote: remote}
	// A Conn dropped without Close gives its handle back (and with it its
	// place under the policy's maxConnections) when the GC finds it.
	runtime.SetFinalizer(c, func(c *Conn) { c.closeOnce.Do(func() { call(c.b.connRelease, c.h) }) })
	return c
}

func (c *Conn) opErr(op string, err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	return &net.OpError{Op: op, Net: c.remote.Network(), Source: c.local, Addr: c.remote, Err: err}
}

// Read reads what is queued, or waits for it; io.EOF at the end.
func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if len(c.ahead) > 0 {
		n := copy(p, c.ahead)
		c.ahead = c.ahead[n:]
		return n, nil
	}
	// At least 4 KiB at a time: a small Read takes what is queued up to
	// that, keeps the rest here, and the next small Reads cost no call.
	want := len(p)
	if want < 4096 {
		want = 4096
	}
	dest := buffer(c.b, &c.rbuf, want)
	for {
		v, err := call(c.b.connRead, c.h, dest)
		if err != nil {
			return 0, c.opErr("read", err)
		}
		if k := v.Int(); k >= 0 {
			if k <= len(p) {
				return js.CopyBytesToGo(p[:k], dest), nil
			}
			if len(c.aheadBuf) < k {
				c.aheadBuf = make([]byte, want)
			}
			js.CopyBytesToGo(c.aheadBuf[:k], dest)
			n := copy(p, c.aheadBuf[:k])
			c.ahead = c.aheadBuf[n:k]
			return n, nil
		}
		if err := c.wait(); err != nil {
			return 0, c.opErr("read", err)
		}
	}
}

// wait registers a wake and blocks this goroutine (only) until it comes:
// data, the end, the read deadline or Close.
func (c *Conn) wait() error {
	s := newSlot()
	defer s.free()
	if _, err := call(c.b.connReady, c.h, s.token()); err != nil {
		return err
	}
	<-s.ch
	return nil
}

// Write sends all of p, waiting while the transport has no room (bounded
// by the write deadline).
func (c *Conn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	sent := 0
	for sent < len(p) {
		k := len(p) - sent
		if k > chunk {
			k = chunk
		}
		src := buffer(c.b, &c.wbuf, k)
		js.CopyBytesToJS(src, p[sent:sent+k])
		// A number, or a Promise of one (the table copies what it keeps).
		v, err := call(c.b.connWrite, c.h, src)
		if err == nil {
			v, err = await(context.Background(), v)
		}
		if err != nil {
			return sent, c.opErr("write", err)
		}
		sent += v.Int()
	}
	return sent, nil
}

// Close closes the connection; a blocked Read or Write returns net.ErrClosed.
func (c *Conn) Close() error {
	err := net.ErrClosed
	c.closeOnce.Do(func() {
		_, err = call(c.b.connClose, c.h)
	})
	return c.opErr("close", err)
}

func (c *Conn) LocalAddr() net.Addr  { return c.local }
func (c *Conn) RemoteAddr() net.Addr { return c.remote }

func (c *Conn) SetDeadline(t time.Time) error      { return c.setDeadline(3, t) }
func (c *Conn) SetReadDeadline(t time.Time) error  { return c.setDeadline(1, t) }
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.setDeadline(2, t) }

func (c *Conn) setDeadline(which int, t time.Time) error {
	_, err := call(c.b.connSetDeadline, c.h, which, epochMs(t))
	return c.opErr("set deadline", err)
}

// epochMs is a deadline as the tables take it: epoch milliseconds, rounded
// up (a deadline never passes early), 0 for none, 1 for one already past.
func epochMs(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	ms := (t.UnixNano() + 999_999) / 1_000_000
	if ms < 1 {
		ms = 1
	}
	return float64(ms)
}
