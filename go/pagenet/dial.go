//go:build js && wasm

package pagenet

import (
	"context"
	"net"
	"strconv"
	"strings"
	"time"
)

// Dialer holds dial options; the zero value dials with no timeout but the
// context's (the page's tables still bound every dial).
type Dialer struct {
	// Timeout bounds each dial, as net.Dialer's does.
	Timeout time.Duration
}

// Dial is DialContext with context.Background().
func Dial(network, address string) (net.Conn, error) {
	return (&Dialer{}).DialContext(context.Background(), network, address)
}

// DialContext connects to address on network:
//   - "tcp", "tcp4", "tcp6": host:port through the page's relay (a name is
//     resolved by the relay, under the page's policy);
//   - "udp", "udp4", "udp6": a datagram socket through the relay, its peer
//     fixed to address (datagrams from anyone else are dropped, as a
//     connected UDP socket's are);
//   - "ws", "wss": a WebSocket, address a ws:// or wss:// URL (for "ws",
//     host:port also means ws://host:port/).
//
// It fits http.Transport.DialContext. The page's policy holds for every
// destination; ctx cancels the dial and frees what it opened.
func DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return (&Dialer{}).DialContext(ctx, network, address)
}

// Dial is DialContext with context.Background().
func (d *Dialer) Dial(network, address string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, address)
}

// DialContext is the package's DialContext with this Dialer's options.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	fail := func(addr net.Addr, err error) (net.Conn, error) {
		return nil, &net.OpError{Op: "dial", Net: network, Addr: addr, Err: err}
	}
	b, err := page()
	if err != nil {
		return fail(nil, err)
	}
	if d.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d.Timeout)
		defer cancel()
	}
	timeoutMs := 0.0
	if dl, ok := ctx.Deadline(); ok {
		timeoutMs = float64(time.Until(dl).Milliseconds())
		if timeoutMs < 1 {
			timeoutMs = 1
		}
	}
	switch network {
	case "tcp", "tcp4", "tcp6", "udp", "udp4", "udp6":
		host, port, err := splitHostPort(network, address)
		remote := &Addr{Net: strings.TrimRight(network, "46"), Host: address}
		if err != nil {
			return fail(remote, err)
		}
		if remote.Net == "udp" {
			pc, err := listenPacket(b, network)
			if err != nil {
				return fail(remote, err)
			}
			return &udpConn{PacketConn: pc, host: host, port: port, remote: remote}, nil
		}
		v, err := call(b.connDialRelay, network, host, port, timeoutMs)
		if err != nil {
			return fail(remote, err)
		}
		return opened(ctx, b, v.Int(), localTCP, remote, fail)
	case "ws", "wss":
		url := address
		if !strings.Contains(address, "://") {
			url = network + "://" + address + "/"
		}
		remote := &Addr{Net: network, Host: url}
		v, err := call(b.connDialWs, url, timeoutMs)
		if err != nil {
			return fail(remote, err)
		}
		return opened(ctx, b, v.Int(), &Addr{Net: network}, remote, fail)
	}
	return fail(nil, net.UnknownNetworkError(network))
}

// opened waits for handle h's connection to open, or for ctx (which
// releases the handle: the dial is abandoned, nothing left open).
func opened(ctx context.Context, b *bindings, h int, local, remote net.Addr, fail func(net.Addr, error) (net.Conn, error)) (net.Conn, error) {
	p, err := call(b.connOpened, h)
	if err == nil {
		_, err = await(ctx, p)
	}
	if err != nil {
		if ctx.Err() != nil {
			call(b.connRelease, h)
			if ctx.Err() == context.DeadlineExceeded {
				err = errTimeout
			}
		}
		return fail(remote, err)
	}
	return newConn(b, h, local, remote), nil
}

// errTimeout is a dial that ran out of time: "i/o timeout", Timeout() true.
var errTimeout error = timeoutError{}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// splitHostPort splits host:port; a service name is looked up in Go's
// table (net.LookupPort).
func splitHostPort(network, address string) (string, int, error) {
	host, service, err := net.SplitHostPort(address)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(service)
	if err != nil {
		port, err = net.LookupPort(strings.TrimRight(network, "46"), service)
		if err != nil {
			return "", 0, err
		}
	}
	if port < 0 || port > 65535 {
		return "", 0, &net.AddrError{Err: "invalid port", Addr: address}
	}
	return host, port, nil
}
