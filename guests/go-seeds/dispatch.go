//go:build wasip1

// The socket calls of dispatchrun/net (module github.com/stealthrocket/net,
// seed 002's guest side of wasi-go) at fc22d41, made exactly as it makes
// them: the WasmEdge v2 imports in wasi_snapshot_preview1 (families
// AF_INET 1 / AF_INET6 2, SOCK_DGRAM 1 / SOCK_STREAM 2, SOL_SOCKET 0,
// SO_ERROR 2), `sock_getsockopt`'s length passed by value (4), sockets made
// nonblocking with fd_fdstat_set_flags, a connect checked with SO_ERROR and
// getpeername from rawConn.Write (the first check before any wait), then
// net.FileConn / net.FilePacketConn, and sock_getaddrinfo with its struct
// layout. Written here from the ABI; none of its code is in this file.
package main

import (
	"context"
	"encoding/binary"
	"net"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"time"
	"unsafe"
)

//go:wasmimport wasi_snapshot_preview1 sock_open
func drOpen(af int32, socktype int32, fd unsafe.Pointer) syscall.Errno

//go:wasmimport wasi_snapshot_preview1 sock_connect
func drConnect(fd int32, addr unsafe.Pointer, port uint32) syscall.Errno

//go:wasmimport wasi_snapshot_preview1 sock_getsockopt
func drGetsockopt(fd int32, level uint32, name uint32, value unsafe.Pointer, valueLen uint32) syscall.Errno

//go:wasmimport wasi_snapshot_preview1 sock_setsockopt
func drSetsockopt(fd int32, level uint32, name uint32, value unsafe.Pointer, valueLen uint32) syscall.Errno

//go:wasmimport wasi_snapshot_preview1 sock_getlocaladdr
func drGetlocaladdr(fd int32, addr unsafe.Pointer, port unsafe.Pointer) syscall.Errno

//go:wasmimport wasi_snapshot_preview1 sock_getpeeraddr
func drGetpeeraddr(fd int32, addr unsafe.Pointer, port unsafe.Pointer) syscall.Errno

//go:wasmimport wasi_snapshot_preview1 sock_recv_from
func drRecvFrom(fd int32, iovs unsafe.Pointer, iovsCount int32, addr unsafe.Pointer, iflags int32, port unsafe.Pointer, nread unsafe.Pointer, oflags unsafe.Pointer) syscall.Errno

//go:wasmimport wasi_snapshot_preview1 sock_getaddrinfo
func drGetaddrinfo(node unsafe.Pointer, nodeLen uint32, service unsafe.Pointer, serviceLen uint32, hints unsafe.Pointer, res unsafe.Pointer, maxResLen uint32, resLen unsafe.Pointer) syscall.Errno

const (
	drAfInet      = 1
	drAfInet6     = 2
	drSockDgram   = 1
	drSockStream  = 2
	drSolSocket   = 0
	drSoError     = 2
	drSoBroadcast = 4
)

type drAddrBuf struct {
	buf    uint32
	bufLen uint32
}

type drRawAny struct {
	family uint16
	addr   [126]byte
}

func drGetsockoptInt(fd, level, opt int) (int, error) {
	var n int32
	if errno := drGetsockopt(int32(fd), uint32(level), uint32(opt), unsafe.Pointer(&n), 4); errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

func drName(fd int, peer bool) (net.IP, int, error) {
	var rsa drRawAny
	buf := drAddrBuf{buf: uint32(uintptr(unsafe.Pointer(&rsa))), bufLen: uint32(unsafe.Sizeof(rsa))}
	var port uint32
	var errno syscall.Errno
	if peer {
		errno = drGetpeeraddr(int32(fd), unsafe.Pointer(&buf), unsafe.Pointer(&port))
	} else {
		errno = drGetlocaladdr(int32(fd), unsafe.Pointer(&buf), unsafe.Pointer(&port))
	}
	runtime.KeepAlive(&rsa)
	if errno != 0 {
		return nil, 0, errno
	}
	if rsa.family == drAfInet6 {
		return net.IP(append([]byte(nil), rsa.addr[:16]...)), int(port), nil
	}
	return net.IP(append([]byte(nil), rsa.addr[:4]...)), int(port), nil
}

// drDial is wasip1.DialContext's shape: names through net.DefaultResolver
// (whose Dial is this function, as its init sets it), so Go's own resolver.
func drDial(ctx context.Context, network, address string) (net.Conn, error) {
	host, service, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	port, err := net.DefaultResolver.LookupPort(ctx, network, service)
	if err != nil {
		return nil, err
	}
	ipAddrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return nil, err
	}
	for _, a := range ipAddrs {
		var c net.Conn
		if c, err = drDialIP(ctx, network, a.IP, port); err == nil {
			return c, nil
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, &net.OpError{Op: "dial", Net: network, Err: err}
}

func drDialIP(ctx context.Context, network string, ip net.IP, port int) (net.Conn, error) {
	udp := network == "udp" || network == "udp4" || network == "udp6"
	af, sotype := int32(drAfInet), int32(drSockStream)
	addr := ip.To4()
	if addr == nil {
		af, addr = drAfInet6, ip.To16()
	}
	if udp {
		sotype = drSockDgram
	}
	var fd int32
	if errno := drOpen(af, sotype, unsafe.Pointer(&fd)); errno != 0 {
		return nil, os.NewSyscallError("socket", errno)
	}
	if err := syscall.SetNonblock(int(fd), true); err != nil {
		syscall.Close(int(fd))
		return nil, err
	}
	if udp {
		one := int32(1)
		drSetsockopt(fd, drSolSocket, drSoBroadcast, unsafe.Pointer(&one), 4) // EINVAL/ENOPROTOOPT tolerated
	}
	raw := append([]byte(nil), addr...)
	buf := drAddrBuf{buf: uint32(uintptr(unsafe.Pointer(&raw[0]))), bufLen: uint32(len(raw))}
	inProgress := false
	switch errno := drConnect(fd, unsafe.Pointer(&buf), uint32(port)); errno {
	case 0:
	case syscall.Errno(26): // EINPROGRESS
		inProgress = true
	default:
		syscall.Close(int(fd))
		return nil, os.NewSyscallError("connect", errno)
	}
	runtime.KeepAlive(raw)
	if udp {
		if _, _, err := drName(int(fd), false); err != nil {
			syscall.Close(int(fd))
			return nil, err
		}
		if _, _, err := drName(int(fd), true); err != nil {
			syscall.Close(int(fd))
			return nil, err
		}
		// Its packetConn: Write through the os.File (fd_write), Read with
		// sock_recv_from inside rawConn.Read (EAGAIN waits on the netpoller).
		f := os.NewFile(uintptr(fd), "")
		rc, err := f.SyscallConn()
		if err != nil {
			f.Close()
			return nil, err
		}
		return &drPacketConn{file: f, rc: rc, peer: &net.UDPAddr{IP: ip, Port: port}}, nil
	}
	f := os.NewFile(uintptr(fd), "")
	defer f.Close()
	if inProgress {
		rc, err := f.SyscallConn()
		if err != nil {
			return nil, err
		}
		errch := make(chan error, 1)
		go func() {
			var err error
			rerr := rc.Write(func(fd uintptr) bool {
				var v int
				if v, err = drGetsockoptInt(int(fd), drSolSocket, drSoError); err != nil {
					return true
				}
				switch syscall.Errno(v) {
				case syscall.EINPROGRESS, syscall.EINTR:
					return false
				case 0:
					_, _, perr := drName(int(fd), true)
					return perr == nil
				default:
					err = syscall.Errno(v)
					return true
				}
			})
			if err == nil {
				err = rerr
			}
			errch <- err
		}()
		select {
		case err := <-errch:
			if err != nil {
				return nil, os.NewSyscallError("connect", err)
			}
		case <-ctx.Done():
			f.Close()
			<-errch
			return nil, context.Cause(ctx)
		}
	}
	return net.FileConn(f)
}

// drGetaddrinfo is its getaddrinfo build's lookup: WasmEdge's addrinfo list,
// preallocated by the guest, NUL-terminated strings.
type drSockAddrInfo struct {
	flags    uint16
	family   uint8
	socktype uint8
	protocol uint32
	addrlen  uint32
	addr     uint32
	canon    uint32
	canonLen uint32
	next     uint32
}

type drSockAddr struct {
	family  uint32
	dataLen uint32
	data    uint32
	_       [4]byte
}

type drResult struct {
	info  drSockAddrInfo
	sa    drSockAddr
	data  [26]byte
	canon [30]byte
}

func drGetaddrinfoLookup(name, service string) ([]net.IP, int, error) {
	results := make([]drResult, 8)
	for i := range results {
		results[i].sa = drSockAddr{dataLen: 26, data: uint32(uintptr(unsafe.Pointer(&results[i].data)))}
		results[i].info = drSockAddrInfo{addrlen: uint32(unsafe.Sizeof(drSockAddr{})), addr: uint32(uintptr(unsafe.Pointer(&results[i].sa))),
			canon: uint32(uintptr(unsafe.Pointer(&results[i].canon))), canonLen: 30}
		if i > 0 {
			results[i-1].info.next = uint32(uintptr(unsafe.Pointer(&results[i].info)))
		}
	}
	hints := drSockAddrInfo{socktype: drSockStream}
	resPtr := uint32(uintptr(unsafe.Pointer(&results[0].info)))
	nameZ := append([]byte(name), 0)
	servZ := append([]byte(service), 0)
	var n uint32
	errno := drGetaddrinfo(unsafe.Pointer(&nameZ[0]), uint32(len(nameZ)), unsafe.Pointer(&servZ[0]), uint32(len(servZ)),
		unsafe.Pointer(&hints), unsafe.Pointer(&resPtr), uint32(len(results)), unsafe.Pointer(&n))
	runtime.KeepAlive(results)
	if errno != 0 {
		return nil, 0, os.NewSyscallError("getaddrinfo", errno)
	}
	var ips []net.IP
	port := 0
	for _, r := range results[:n] {
		port = int(binary.BigEndian.Uint16(r.data[:2]))
		switch r.sa.family {
		case drAfInet:
			ips = append(ips, net.IP(append([]byte(nil), r.data[2:6]...)))
		case drAfInet6:
			ips = append(ips, net.IP(append([]byte(nil), r.data[2:18]...)))
		}
	}
	return ips, port, nil
}

type drPacketConn struct {
	file *os.File
	rc   syscall.RawConn
	peer *net.UDPAddr
}

type drIovec struct {
	ptr uint32
	len uint32
}

func (c *drPacketConn) ReadFrom(b []byte) (n int, addr net.Addr, err error) {
	rerr := c.rc.Read(func(fd uintptr) bool {
		var raw drRawAny
		buf := drAddrBuf{buf: uint32(uintptr(unsafe.Pointer(&raw))), bufLen: uint32(unsafe.Sizeof(raw))}
		iov := []drIovec{{ptr: uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b)))), len: uint32(len(b))}}
		var port, nread, oflags int32
		errno := drRecvFrom(int32(fd), unsafe.Pointer(&iov[0]), 1, unsafe.Pointer(&buf), 0, unsafe.Pointer(&port), unsafe.Pointer(&nread), unsafe.Pointer(&oflags))
		runtime.KeepAlive(iov)
		runtime.KeepAlive(b)
		if errno == syscall.EAGAIN {
			return false
		}
		if errno != 0 {
			err = errno
			return true
		}
		n = int(nread)
		ip := net.IP(append([]byte(nil), raw.addr[:4]...))
		if raw.family == drAfInet6 {
			ip = net.IP(append([]byte(nil), raw.addr[:16]...))
		}
		addr = &net.UDPAddr{IP: ip, Port: int(port)}
		return true
	})
	if rerr != nil {
		err = rerr
	}
	return
}

func (c *drPacketConn) Read(b []byte) (int, error) {
	n, _, err := c.ReadFrom(b)
	return n, err
}
func (c *drPacketConn) Write(b []byte) (int, error) { return c.file.Write(b) }
func (c *drPacketConn) WriteTo(b []byte, _ net.Addr) (int, error) {
	return c.file.Write(b) // connected: the peer is the only destination here
}
func (c *drPacketConn) Close() error                       { return c.file.Close() }
func (c *drPacketConn) LocalAddr() net.Addr                { return &net.UDPAddr{} }
func (c *drPacketConn) RemoteAddr() net.Addr               { return c.peer }
func (c *drPacketConn) SetDeadline(t time.Time) error      { return c.file.SetDeadline(t) }
func (c *drPacketConn) SetReadDeadline(t time.Time) error  { return c.file.SetReadDeadline(t) }
func (c *drPacketConn) SetWriteDeadline(t time.Time) error { return c.file.SetWriteDeadline(t) }

var _ = strconv.Itoa
