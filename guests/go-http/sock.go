//go:build wasip1

// The socket calls this program declares itself (no module proxy is
// reachable here, so no wasinet package): egdaemon/wasinet's `wasinet_v0`
// ABI and dispatchrun/wasi-go's path_open dialing, as go-net-wasm/wasi
// serves them (js/wasi-wasinet.ts, WasiSockets.openUrl). A connected socket
// becomes a net.Conn through net.FileConn, so Go's own netpoller (poll_oneoff
// with fd subscriptions) drives it, deadlines included.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"
	"unsafe"
)

//go:wasmimport wasinet_v0 sock_open
func sockOpen(af, socktype, proto int32, fd unsafe.Pointer) uint32

//go:wasmimport wasinet_v0 sock_connect
func sockConnect(fd int32, addr unsafe.Pointer, addrlen uint32) uint32

//go:wasmimport wasinet_v0 sock_getsockopt
func sockGetsockopt(fd int32, level, name uint32, value unsafe.Pointer, valueLen uint32) uint32

//go:wasmimport wasinet_v0 sock_getpeeraddr
func sockGetpeeraddr(fd int32, addr unsafe.Pointer, addrlen uint32) uint32

//go:wasmimport wasinet_v0 sock_getaddrip
func sockGetaddrip(network unsafe.Pointer, networkLen uint32, address unsafe.Pointer, addressLen uint32, ips unsafe.Pointer, ipsCap uint32, ipsLen unsafe.Pointer) uint32

//go:wasmimport wasinet_v0 sock_getaddrport
func sockGetaddrport(network unsafe.Pointer, networkLen uint32, service unsafe.Pointer, serviceLen uint32, port unsafe.Pointer) uint32

//go:wasmimport wasinet_v0 sock_determine_host_af_family
func sockHostFamily(af int32) int32

//go:wasmimport wasi_snapshot_preview1 path_open
func pathOpen(dirfd int32, dirflags uint32, path unsafe.Pointer, pathLen uint32, oflags uint32, rightsBase, rightsInheriting uint64, fdflags uint32, fd unsafe.Pointer) uint32

const (
	sockStream  = 1
	solSocket   = 1
	soError     = 4
	einprogress = syscall.Errno(26) // WASI's EINPROGRESS
	rawAddrSize = 130
)

func errnoErr(e uint32) error {
	if e == 0 {
		return nil
	}
	return syscall.Errno(e)
}

func strPtr(s string) (unsafe.Pointer, uint32) {
	if s == "" {
		return nil, 0
	}
	b := []byte(s)
	return unsafe.Pointer(&b[0]), uint32(len(b))
}

// lookupIP asks the host (DNS over HTTPS in a page) for a name's addresses.
func lookupIP(network, host string) ([]net.IP, error) {
	buf := make([]byte, 16*16)
	var n uint32
	np, nl := strPtr(network)
	hp, hl := strPtr(host)
	if err := errnoErr(sockGetaddrip(np, nl, hp, hl, unsafe.Pointer(&buf[0]), uint32(len(buf)), unsafe.Pointer(&n))); err != nil {
		return nil, &net.DNSError{Err: err.Error(), Name: host}
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

func lookupPort(network, service string) (int, error) {
	if p, err := strconv.Atoi(service); err == nil {
		return p, nil
	}
	var port uint32
	np, nl := strPtr(network)
	sp, sl := strPtr(service)
	if err := errnoErr(sockGetaddrport(np, nl, sp, sl, unsafe.Pointer(&port))); err != nil {
		return 0, fmt.Errorf("unknown port %s/%s: %w", network, service, err)
	}
	return int(port), nil
}

// dial is http.Transport.DialContext: wasinet_v0 sockets, nonblocking
// connects waited on by the netpoller.
func dial(ctx context.Context, network, address string) (net.Conn, error) {
	host, service, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	port, err := lookupPort(network, service)
	if err != nil {
		return nil, err
	}
	ips := []net.IP{net.ParseIP(host)}
	if ips[0] == nil {
		if ips, err = lookupIP("ip", host); err != nil {
			return nil, err
		}
	}
	var first error
	for _, ip := range ips {
		c, err := dialIP(ctx, ip, port)
		if err == nil {
			return c, nil
		}
		if first == nil {
			first = err
		}
	}
	if first == nil {
		first = errors.New("no addresses")
	}
	return nil, &net.OpError{Op: "dial", Net: network, Addr: nil, Err: first}
}

func dialIP(ctx context.Context, ip net.IP, port int) (net.Conn, error) {
	var raw [rawAddrSize]byte
	af := sockHostFamily(int32(syscall.AF_INET))
	addr := ip.To4()
	if addr == nil {
		af = sockHostFamily(int32(syscall.AF_INET6))
		addr = ip.To16()
	}
	// RawSocketAddress: family, then wasinet's copied struct: family, pad, port u32, address.
	*(*uint16)(unsafe.Pointer(&raw[0])) = uint16(af)
	*(*uint16)(unsafe.Pointer(&raw[4])) = uint16(af)
	*(*uint32)(unsafe.Pointer(&raw[8])) = uint32(port)
	copy(raw[12:], addr)
	var fd int32
	if err := errnoErr(sockOpen(af, sockStream, 0, unsafe.Pointer(&fd))); err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	if err := syscall.SetNonblock(int(fd), true); err != nil {
		syscall.Close(int(fd))
		return nil, err
	}
	cerr := errnoErr(sockConnect(fd, unsafe.Pointer(&raw[0]), rawAddrSize))
	if cerr != nil && cerr != einprogress {
		syscall.Close(int(fd))
		return nil, os.NewSyscallError("connect", cerr)
	}
	f := os.NewFile(uintptr(fd), fmt.Sprintf("tcp:%s", net.JoinHostPort(ip.String(), strconv.Itoa(port))))
	defer f.Close() // the Conn holds its own reference
	if cerr == einprogress {
		if err := waitConnected(ctx, f); err != nil {
			return nil, err
		}
	}
	return net.FileConn(f)
}

// waitConnected waits until the socket is writable (connected or failed),
// then reads SO_ERROR, under the context's deadline.
func waitConnected(ctx context.Context, f *os.File) error {
	if d, ok := ctx.Deadline(); ok {
		f.SetWriteDeadline(d)
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var soerr error
	waited := false
	werr := rc.Write(func(fd uintptr) bool {
		if !waited {
			waited = true
			return false // wait for writability first
		}
		var v int32
		if e := errnoErr(sockGetsockopt(int32(fd), solSocket, soError, unsafe.Pointer(&v), 4)); e != nil {
			soerr = e
		} else if v != 0 {
			soerr = syscall.Errno(v)
		}
		return true
	})
	if werr != nil {
		if errors.Is(werr, os.ErrDeadlineExceeded) {
			return context.DeadlineExceeded
		}
		return werr
	}
	if soerr != nil {
		return os.NewSyscallError("connect", soerr)
	}
	f.SetWriteDeadline(time.Time{})
	return nil
}

// dialURL opens a connected socket the wasi-go way: path_open of
// "tcp+dial://host:port" with no directory (fd -1).
func dialURL(url string) (net.Conn, error) {
	p, l := strPtr(url)
	var fd int32
	err := errnoErr(pathOpen(-1, 0, p, l, 0, ^uint64(0), ^uint64(0), 0, unsafe.Pointer(&fd)))
	if err != nil && err != einprogress {
		return nil, &os.PathError{Op: "path_open", Path: url, Err: err}
	}
	f := os.NewFile(uintptr(fd), url)
	defer f.Close()
	if err == einprogress {
		if err := waitConnected(context.Background(), f); err != nil {
			return nil, err
		}
	}
	return net.FileConn(f)
}

// peerAddr is sock_getpeeraddr's answer, as "ip:port".
func peerAddr(c net.Conn) string {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return "?"
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return "?"
	}
	var out string
	rc.Control(func(fd uintptr) {
		var raw [rawAddrSize]byte
		if e := errnoErr(sockGetpeeraddr(int32(fd), unsafe.Pointer(&raw[0]), rawAddrSize)); e != nil {
			out = e.Error()
			return
		}
		port := int(*(*uint32)(unsafe.Pointer(&raw[8])))
		ip := net.IP(raw[12:16])
		if *(*uint16)(unsafe.Pointer(&raw[0])) == uint16(sockHostFamily(int32(syscall.AF_INET6))) {
			ip = net.IP(raw[12:28])
		}
		out = net.JoinHostPort(ip.String(), strconv.Itoa(port))
	})
	return out
}
