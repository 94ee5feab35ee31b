//go:build js && wasm

package pagenet

import (
	"context"
	"net"
	"runtime"
	"strconv"
	"sync"
	"syscall/js"
	"time"
)

// PacketConn is a net.PacketConn over the page's relay (Wisp UDP streams,
// one per destination, opened on the first WriteTo to it). The page has no
// address of its own: LocalAddr is 0.0.0.0:0.
type PacketConn struct {
	b         *bindings
	h         int
	rmu       sync.Mutex
	rbuf      js.Value
	wmu       sync.Mutex
	wbuf      js.Value
	closeOnce sync.Once
}

// ListenPacket opens a PacketConn ("udp", "udp4", "udp6"); address must be
// empty or a wildcard (the page can bind nothing).
func ListenPacket(network, address string) (net.PacketConn, error) {
	fail := func(err error) (net.PacketConn, error) {
		return nil, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	switch network {
	case "udp", "udp4", "udp6":
	default:
		return fail(net.UnknownNetworkError(network))
	}
	if address != "" && address != ":0" {
		host, port, err := net.SplitHostPort(address)
		if err != nil {
			return fail(err)
		}
		if ip := net.ParseIP(host); (host != "" && (ip == nil || !ip.IsUnspecified())) || (port != "0" && port != "") {
			return fail(&net.AddrError{Err: "a page cannot bind an address (only a wildcard with port 0)", Addr: address})
		}
	}
	b, err := page()
	if err != nil {
		return fail(err)
	}
	pc, err := listenPacket(b, network)
	if err != nil {
		return fail(err)
	}
	return pc, nil
}

func listenPacket(b *bindings, network string) (*PacketConn, error) {
	v, err := call(b.udpListen, network)
	if err != nil {
		return nil, err
	}
	c := &PacketConn{b: b, h: v.Int()}
	runtime.SetFinalizer(c, func(c *PacketConn) { c.closeOnce.Do(func() { call(c.b.udpRelease, c.h) }) })
	return c, nil
}

func (c *PacketConn) opErr(op string, addr net.Addr, err error) error {
	if err == nil {
		return nil
	}
	return &net.OpError{Op: op, Net: "udp", Source: localUDP, Addr: addr, Err: err}
}

// ReadFrom reads one datagram (truncated to p, as Go's is) and its source.
func (c *PacketConn) ReadFrom(p []byte) (int, net.Addr, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	dest := buffer(c.b, &c.rbuf, len(p))
	for {
		v, err := call(c.b.udpReadFrom, c.h, dest)
		if err != nil {
			return 0, nil, c.opErr("read", nil, err)
		}
		if v.Type() == js.TypeObject {
			k := v.Index(0).Int()
			from := v.Index(1).String()
			js.CopyBytesToGo(p[:k], dest)
			return k, udpAddr(from), nil
		}
		s := newSlot()
		_, err = call(c.b.udpReady, c.h, s.token())
		if err == nil {
			<-s.ch
		}
		s.free()
		if err != nil {
			return 0, nil, c.opErr("read", nil, err)
		}
	}
}

// udpAddr is a datagram's source: a *net.UDPAddr for an IP, else the page's Addr.
func udpAddr(hostPort string) net.Addr {
	host, port, err := net.SplitHostPort(hostPort)
	if err == nil {
		if ip := net.ParseIP(host); ip != nil {
			p, _ := strconv.Atoi(port)
			return &net.UDPAddr{IP: ip, Port: p}
		}
	}
	return &Addr{Net: "udp", Host: hostPort}
}

// WriteTo sends p as one datagram to addr (a *net.UDPAddr, or any
// net.Addr whose String is host:port).
func (c *PacketConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	if addr == nil {
		return 0, c.opErr("write", nil, &net.AddrError{Err: "no destination"})
	}
	host, port, err := splitHostPort("udp", addr.String())
	if err != nil {
		return 0, c.opErr("write", addr, err)
	}
	return c.writeTo(p, host, port, addr)
}

func (c *PacketConn) writeTo(p []byte, host string, port int, addr net.Addr) (int, error) {
	if len(p) > chunk {
		return 0, c.opErr("write", addr, &net.AddrError{Err: "datagram larger than 65536 bytes", Addr: addr.String()})
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	src := buffer(c.b, &c.wbuf, len(p))
	js.CopyBytesToJS(src, p)
	v, err := call(c.b.udpWriteTo, c.h, src, host, port)
	if err == nil {
		v, err = await(context.Background(), v)
	}
	if err != nil {
		return 0, c.opErr("write", addr, err)
	}
	return v.Int(), nil
}

// Close closes the PacketConn and every relay stream it opened.
func (c *PacketConn) Close() error {
	err := net.ErrClosed
	c.closeOnce.Do(func() { _, err = call(c.b.udpClose, c.h) })
	return c.opErr("close", nil, err)
}

func (c *PacketConn) LocalAddr() net.Addr { return localUDP }

func (c *PacketConn) SetDeadline(t time.Time) error      { return c.setDeadline(3, t) }
func (c *PacketConn) SetReadDeadline(t time.Time) error  { return c.setDeadline(1, t) }
func (c *PacketConn) SetWriteDeadline(t time.Time) error { return c.setDeadline(2, t) }

func (c *PacketConn) setDeadline(which int, t time.Time) error {
	_, err := call(c.b.udpSetDeadline, c.h, which, epochMs(t))
	return c.opErr("set deadline", nil, err)
}

// udpConn is Dial("udp"): a PacketConn with its peer fixed.
type udpConn struct {
	*PacketConn
	host   string
	port   int
	remote *Addr
}

func (c *udpConn) Read(p []byte) (int, error) {
	for {
		n, from, err := c.ReadFrom(p)
		if err != nil {
			return n, err
		}
		if c.from(from) {
			return n, nil
		}
	}
}

// from says whether a datagram came from the fixed peer (by host:port as
// the relay reports it).
func (c *udpConn) from(a net.Addr) bool {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil || port != strconv.Itoa(c.port) {
		return false
	}
	if host == c.host {
		return true
	}
	x, y := net.ParseIP(host), net.ParseIP(c.host)
	return x != nil && y != nil && x.Equal(y)
}

func (c *udpConn) Write(p []byte) (int, error) { return c.writeTo(p, c.host, c.port, c.remote) }
func (c *udpConn) RemoteAddr() net.Addr        { return c.remote }
