//go:build wasip1

// The socket calls of egdaemon/wasinet (seed 001), made exactly as it makes
// them at 49e153b: its `wasinet_v0` declarations (sock_recv_from with 10
// parameters and sock_send_to with 9 since 2c5f107, oob after the iovecs),
// its Go-struct iovecs (16 bytes on GOARCH=wasm), sockets opened without
// SOCK_NONBLOCK (its native hosts add it), a Read that loops on EAGAIN with
// runtime.Gosched and never polls, a Write that calls sock_send_to once, a
// connect waited on through the netpoller then SO_ERROR, sock_getaddrip for
// its own lookups, and a UDP conn that is a net.PacketConn (so Go's
// resolver speaks UDP over it). Written here from the ABI; none of
// wasinet's code (AGPL-3.0) is in this file.
package main

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"time"
	"unsafe"
)

//go:wasmimport wasinet_v0 sock_open
func wnOpen(af, socktype, proto int32, fd unsafe.Pointer) syscall.Errno

//go:wasmimport wasinet_v0 sock_connect
func wnConnect(fd int32, addr unsafe.Pointer, addrlen uint32) syscall.Errno

//go:wasmimport wasinet_v0 sock_getsockopt
func wnGetsockopt(fd int32, level, name uint32, value unsafe.Pointer, valueLen uint32) syscall.Errno

//go:wasmimport wasinet_v0 sock_setsockopt
func wnSetsockopt(fd int32, level, name uint32, value unsafe.Pointer, valueLen uint32) syscall.Errno

//go:wasmimport wasinet_v0 sock_getpeeraddr
func wnGetpeeraddr(fd int32, addr unsafe.Pointer, addrlen uint32) syscall.Errno

//go:wasmimport wasinet_v0 sock_recv_from
func wnRecvFrom(fd int32, iovs unsafe.Pointer, iovslen uint32, oob unsafe.Pointer, ooblen uint32, addr unsafe.Pointer, addrlen uint32, iflags int32, nread unsafe.Pointer, oflags unsafe.Pointer) syscall.Errno

//go:wasmimport wasinet_v0 sock_send_to
func wnSendTo(fd int32, iovs unsafe.Pointer, iovslen uint32, oob unsafe.Pointer, ooblen uint32, addr unsafe.Pointer, addrlen uint32, flags int32, nwritten unsafe.Pointer) syscall.Errno

//go:wasmimport wasinet_v0 sock_shutdown
func wnShutdown(fd, how int32) syscall.Errno

//go:wasmimport wasinet_v0 sock_getaddrip
func wnGetaddrip(network unsafe.Pointer, networkLen uint32, address unsafe.Pointer, addressLen uint32, ips unsafe.Pointer, ipsCap uint32, ipsLen unsafe.Pointer) syscall.Errno

//go:wasmimport wasinet_v0 sock_determine_host_af_family
func wnHostFamily(af int32) int32

// wnVector is the iovec as wasinet passes it: a Go struct, 16 bytes here.
type wnVector struct {
	offset unsafe.Pointer
	length uint32
}

const (
	wnSolSocket  = 1 // Linux numbers, as wasinet passes them through
	wnSoError    = 4
	wnSoRcvtimeo = 20
	wnSoSndtimeo = 21
	wnRawSize    = 130
)

type wnRaw [wnRawSize]byte

func wnAddress(ip net.IP, port int) wnRaw {
	var raw wnRaw
	af := wnHostFamily(int32(syscall.AF_INET))
	addr := ip.To4()
	if addr == nil {
		af = wnHostFamily(int32(syscall.AF_INET6))
		addr = ip.To16()
	}
	*(*uint16)(unsafe.Pointer(&raw[0])) = uint16(af)
	*(*uint16)(unsafe.Pointer(&raw[4])) = uint16(af)
	*(*uint32)(unsafe.Pointer(&raw[8])) = uint32(port)
	copy(raw[12:], addr)
	return raw
}

func (r *wnRaw) addr() (net.IP, int) {
	port := int(*(*uint32)(unsafe.Pointer(&r[8])))
	if *(*uint16)(unsafe.Pointer(&r[0])) == uint16(wnHostFamily(int32(syscall.AF_INET6))) {
		return net.IP(append([]byte(nil), r[12:28]...)), port
	}
	return net.IP(append([]byte(nil), r[12:16]...)), port
}

func errnoOrNil(e syscall.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

// wnLookup is wasinet's own resolver: sock_getaddrip, 16 bytes an address.
func wnLookup(network, host string) ([]net.IP, error) {
	buf := make([]byte, 16*16)
	var n uint32
	np, nl := unsafe.Pointer(unsafe.StringData(network)), uint32(len(network))
	hp, hl := unsafe.Pointer(unsafe.StringData(host)), uint32(len(host))
	if err := errnoOrNil(wnGetaddrip(np, nl, hp, hl, unsafe.Pointer(&buf[0]), uint32(len(buf)), unsafe.Pointer(&n))); err != nil {
		return nil, os.NewSyscallError("resolveaddrip", err)
	}
	var ips []net.IP
	for i := 0; i+16 <= int(n); i += 16 {
		ip := net.IP(append([]byte(nil), buf[i:i+16]...))
		if v4 := ip.To4(); v4 != nil {
			ip = v4
		}
		ips = append(ips, ip)
	}
	return ips, nil
}

// wnDial is wasinet.DialContext's shape.
func wnDial(ctx context.Context, network, address string) (net.Conn, error) {
	host, service, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	port, err := strconv.Atoi(service)
	if err != nil {
		return nil, err
	}
	ips := []net.IP{net.ParseIP(host)}
	if ips[0] == nil {
		ipnet := "ip"
		if ips, err = wnLookup(ipnet, host); err != nil {
			return nil, &net.OpError{Op: "dial", Net: network, Err: err}
		}
	}
	for _, ip := range ips {
		var c net.Conn
		if c, err = wnDialIP(ctx, network, ip, port); err == nil {
			return c, nil
		}
	}
	return nil, &net.OpError{Op: "dial", Net: network, Err: err}
}

func wnDialIP(ctx context.Context, network string, ip net.IP, port int) (net.Conn, error) {
	udp := network == "udp" || network == "udp4" || network == "udp6"
	sotype := int32(syscall.SOCK_STREAM)
	if udp {
		sotype = int32(syscall.SOCK_DGRAM)
	}
	raw := wnAddress(ip, port)
	fd := int32(-1)
	if err := errnoOrNil(wnOpen(int32(*(*uint16)(unsafe.Pointer(&raw[0]))), sotype, 0, unsafe.Pointer(&fd))); err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	c := &wnConn{fd: fd, udp: udp, raw: raw, peer: ip, port: port}
	err := errnoOrNil(wnConnect(fd, unsafe.Pointer(&raw[0]), wnRawSize))
	if err != nil && err != syscall.Errno(26) /* EINPROGRESS */ {
		syscall.Close(int(fd))
		return nil, os.NewSyscallError("connect", err)
	}
	if err != nil {
		// wasinet: rawConn.Write on an os.File over the fd, then SO_ERROR and getpeername.
		f := os.NewFile(uintptr(fd), "")
		if d, ok := ctx.Deadline(); ok {
			f.SetWriteDeadline(d)
		}
		rc, rerr := f.SyscallConn()
		if rerr != nil {
			return nil, rerr
		}
		var cerr error
		werr := rc.Write(func(fd uintptr) bool {
			var v int32
			if cerr = errnoOrNil(wnGetsockopt(int32(fd), wnSolSocket, wnSoError, unsafe.Pointer(&v), 4)); cerr != nil {
				return true
			}
			if v != 0 {
				cerr = syscall.Errno(v)
				return true
			}
			var peer wnRaw
			return wnGetpeeraddr(int32(fd), unsafe.Pointer(&peer[0]), wnRawSize) == 0
		})
		if werr == nil {
			werr = cerr
		}
		if werr != nil {
			f.Close()
			return nil, os.NewSyscallError("connect", werr)
		}
		c.file = f // keeps the fd open; closed with the conn
	}
	return c, nil
}

type wnConn struct {
	fd   int32
	udp  bool
	raw  wnRaw
	peer net.IP
	port int
	file *os.File
}

func (c *wnConn) recv(p []byte) (int, wnRaw, error) {
	var from wnRaw
	for {
		vecs := []wnVector{{offset: unsafe.Pointer(unsafe.SliceData(p)), length: uint32(len(p))}}
		var n int
		var oflags int32
		errno := wnRecvFrom(c.fd, unsafe.Pointer(&vecs[0]), 1, nil, 0, unsafe.Pointer(&from[0]), wnRawSize, 0, unsafe.Pointer(&n), unsafe.Pointer(&oflags))
		runtime.KeepAlive(vecs)
		runtime.KeepAlive(p)
		switch errno {
		case 0:
			return n, from, nil
		case syscall.EAGAIN, syscall.EINTR:
			runtime.Gosched() // wasinet's loop: no poll_oneoff
		default:
			return 0, from, os.NewSyscallError("recvfrom", errno)
		}
	}
}

func (c *wnConn) send(p []byte, to *wnRaw) (int, error) {
	vecs := []wnVector{{offset: unsafe.Pointer(unsafe.SliceData(p)), length: uint32(len(p))}}
	nwritten := int(0)
	errno := wnSendTo(c.fd, unsafe.Pointer(&vecs[0]), 1, nil, 0, unsafe.Pointer(&to[0]), wnRawSize, 0, unsafe.Pointer(&nwritten))
	runtime.KeepAlive(vecs)
	runtime.KeepAlive(p)
	if errno != 0 {
		return nwritten, os.NewSyscallError("write", errno)
	}
	return nwritten, nil
}

func (c *wnConn) Read(p []byte) (int, error) {
	n, _, err := c.recv(p)
	if err == nil && n == 0 && !c.udp && len(p) > 0 {
		return 0, io.EOF
	}
	return n, err
}

func (c *wnConn) Write(p []byte) (int, error) { return c.send(p, &c.raw) }

func (c *wnConn) ReadFrom(p []byte) (int, net.Addr, error) {
	n, from, err := c.recv(p)
	ip, port := from.addr()
	return n, &net.UDPAddr{IP: ip, Port: port}, err
}

func (c *wnConn) WriteTo(p []byte, a net.Addr) (int, error) {
	u, ok := a.(*net.UDPAddr)
	if !ok {
		return 0, errors.New("not a UDP address")
	}
	raw := wnAddress(u.IP, u.Port)
	return c.send(p, &raw)
}

func (c *wnConn) Close() error {
	wnShutdown(c.fd, 3)
	if c.file != nil {
		return c.file.Close()
	}
	return syscall.Close(int(c.fd))
}

func (c *wnConn) LocalAddr() net.Addr { return &net.TCPAddr{} }
func (c *wnConn) RemoteAddr() net.Addr {
	if c.udp {
		return &net.UDPAddr{IP: c.peer, Port: c.port}
	}
	return &net.TCPAddr{IP: c.peer, Port: c.port}
}

// wasinet's deadlines: SO_RCVTIMEO / SO_SNDTIMEO timevals (its Read retries
// EAGAIN regardless, so they never end a read: the yardstick is its own host).
func (c *wnConn) setTimeo(name uint32, t time.Time) error {
	type timeval struct{ sec, usec int64 }
	var tv timeval
	if !t.IsZero() {
		d := max(time.Until(t), time.Millisecond)
		tv = timeval{int64(d / time.Second), int64(d%time.Second) / 1000}
	}
	return errnoOrNil(wnSetsockopt(c.fd, wnSolSocket, name, unsafe.Pointer(&tv), 16))
}
func (c *wnConn) SetDeadline(t time.Time) error {
	return errors.Join(c.setTimeo(wnSoSndtimeo, t), c.setTimeo(wnSoRcvtimeo, t))
}
func (c *wnConn) SetReadDeadline(t time.Time) error  { return c.setTimeo(wnSoRcvtimeo, t) }
func (c *wnConn) SetWriteDeadline(t time.Time) error { return c.setTimeo(wnSoSndtimeo, t) }
