//go:build js && wasm

// Package pagenet gives a Go program built with GOOS=js GOARCH=wasm a real
// network in a web page: Dial and DialContext for "tcp" and "udp" through
// the Wisp (or wsproxy) relay the page configured, for "ws" and "wss" as a
// WebSocket, a PacketConn, and lookups over DNS over HTTPS. Go's own net
// package on js is an in-process fake (net_fake.go), and its net/http
// client is the browser's fetch; this package is the dialer both lack.
//
// It reaches the page's go-net-wasm bindings (the `_net*` functions
// registerNetBindings installs) through syscall/js: the same Conn, relay
// and DoH tables, under the page's policy, as the Rust crate, the VM
// externs and the WASI host use. Blocking is Go's own: a goroutine waits on
// a channel that the page's tables fill through one callback, so the page
// and every other goroutine run meanwhile.
//
// Three lines give Go's own HTTP/1.1 client, and crypto/tls over the
// relay, to a program (HTTPS to any host, not only those that allow CORS):
//
//	client := &http.Client{Transport: &http.Transport{
//		DialContext:     pagenet.DialContext,
//		TLSClientConfig: &tls.Config{RootCAs: roots}, // Go on js has no system roots
//	}}
//
// Errors read as Go's: "dial tcp 127.0.0.1:1: connect: connection refused"
// where the relay says refused, os.ErrDeadlineExceeded (a net.Error whose
// Timeout() is true) when a deadline passes, net.ErrClosed after Close,
// *net.DNSError from a lookup; a destination the page's policy denies is
// syscall.EACCES (errors.Is(err, fs.ErrPermission)) with the policy's words.
package pagenet
