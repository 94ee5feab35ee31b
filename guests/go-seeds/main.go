//go:build wasip1

// A Go program on the seeds' two guest libraries' call shapes (wasinet.go:
// egdaemon/wasinet; dispatch.go: dispatchrun/net), run in a page by
// go-net-wasm/wasi (tests-js/page/wasi.test.ts). LIB=wasinet or
// LIB=dispatch picks the library; as each does at init, its dialer becomes
// net.DefaultResolver.Dial, so Go's own resolver sends its UDP queries to
// its default nameservers (no /etc/resolv.conf: 127.0.0.1:53, [::1]:53)
// through the library's sockets, and the host answers them. Addresses come
// from the environment (REDIS, TCP_ECHO: ip:port; HTTP_NAME: name:port, a
// name the DoH peer maps to 127.0.0.1). It prints "ok <check> <detail>" or
// "FAIL <check>: <error>" per check, then "done".
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"
)

var dial func(ctx context.Context, network, address string) (net.Conn, error)

func hashOf(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func redisCmd(rw *bufio.ReadWriter, args ...string) (string, error) {
	fmt.Fprintf(rw, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(rw, "$%d\r\n%s\r\n", len(a), a)
	}
	if err := rw.Flush(); err != nil {
		return "", err
	}
	line, err := rw.ReadString('\n')
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(line, "$") && line != "$-1\r\n" {
		val, err := rw.ReadString('\n')
		return strings.TrimRight(val, "\r\n"), err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func redisPing(addr string) (string, error) {
	c, err := dial(context.Background(), "tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	rw := bufio.NewReadWriter(bufio.NewReader(c), bufio.NewWriter(c))
	r, err := redisCmd(rw, "PING")
	if err != nil || r != "+PONG" {
		return "", fmt.Errorf("PING: %q %v", r, err)
	}
	return r, nil
}

// redisDeadline: a read deadline fires, and the conn stays usable.
func redisDeadline(addr string) (string, error) {
	c, err := dial(context.Background(), "tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	rw := bufio.NewReadWriter(bufio.NewReader(c), bufio.NewWriter(c))
	if r, err := redisCmd(rw, "PING"); err != nil || r != "+PONG" {
		return "", fmt.Errorf("PING: %q %v", r, err)
	}
	c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	_, rerr := rw.ReadByte()
	if !errors.Is(rerr, os.ErrDeadlineExceeded) {
		return "", fmt.Errorf("want a deadline error, got %v", rerr)
	}
	c.SetReadDeadline(time.Time{})
	if r, err := redisCmd(rw, "SET", "go:seeds", "after the deadline"); err != nil || r != "+OK" {
		return "", fmt.Errorf("SET: %q %v", r, err)
	}
	r, err := redisCmd(rw, "GET", "go:seeds")
	if err != nil || r != "after the deadline" {
		return "", fmt.Errorf("GET: %q %v", r, err)
	}
	return fmt.Sprintf("%v, then GET %q", rerr, r), nil
}

func lookupHost() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupHost(ctx, "dual.test.example")
	if err != nil {
		return "", err
	}
	sort.Strings(addrs)
	if strings.Join(addrs, " ") != "10.9.8.7 fd00::7" {
		return "", fmt.Errorf("got %v", addrs)
	}
	if _, err := net.DefaultResolver.LookupHost(ctx, "nxdomain.test.example"); err == nil {
		return "", errors.New("a name that does not exist resolved")
	} else if dnsErr, ok := err.(*net.DNSError); !ok || !dnsErr.IsNotFound {
		return "", fmt.Errorf("want not found, got %v", err)
	}
	return strings.Join(addrs, " ") + " (Go's resolver, UDP to its default nameservers)", nil
}

// lookupTCP: Go's resolver over TCP (a resolv.conf with `options use-vc`
// does the same), through the library's dialer to the default nameserver.
func lookupTCP() (string, error) {
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, address string) (net.Conn, error) {
		return dial(ctx, "tcp", address)
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	addrs, err := r.LookupHost(ctx, "dual.test.example")
	if err != nil {
		return "", err
	}
	sort.Strings(addrs)
	if strings.Join(addrs, " ") != "10.9.8.7 fd00::7" {
		return "", fmt.Errorf("got %v", addrs)
	}
	return strings.Join(addrs, " ") + " (Go's resolver over TCP)", nil
}

func ownLookup(lib string) (string, error) {
	var ips []net.IP
	var err error
	port := 0
	if lib == "wasinet" {
		ips, err = wnLookup("ip", "dual.test.example")
	} else {
		ips, port, err = drGetaddrinfoLookup("dual.test.example", "http")
	}
	if err != nil {
		return "", err
	}
	var got []string
	for _, ip := range ips {
		got = append(got, ip.String())
	}
	sort.Strings(got)
	if got[0] != "10.9.8.7" || (lib == "dispatch" && port != 80) {
		return "", fmt.Errorf("got %v port %d", got, port)
	}
	return fmt.Sprintf("%v port %d", got, port), nil
}

var client = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, n, a string) (net.Conn, error) { return dial(ctx, n, a) }}}

func httpGet(base string) (string, error) {
	resp, err := client.Get(base + "/bytes?n=1048576&seed=5")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != 200 || len(body) != 1<<20 || hashOf(body) != resp.Header.Get("x-sha256") {
		return "", fmt.Errorf("status %d, %d bytes, hash %s vs %s", resp.StatusCode, len(body), hashOf(body), resp.Header.Get("x-sha256"))
	}
	return fmt.Sprintf("%d bytes from %s, sha256 matches", len(body), base), nil
}

func httpPost(base string) (string, error) {
	payload := make([]byte, 280*1024)
	rand.Read(payload)
	resp, err := client.Post(base+"/echo", "application/octet-stream", bytes.NewReader(payload))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var echo struct {
		Method string `json:"method"`
		Length int    `json:"length"`
		Sha256 string `json:"sha256"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&echo); err != nil {
		return "", err
	}
	if echo.Method != "POST" || echo.Length != len(payload) || echo.Sha256 != hashOf(payload) {
		return "", fmt.Errorf("the server saw %+v", echo)
	}
	return fmt.Sprintf("the server got all %d bytes, sha256 matches", echo.Length), nil
}

// rtt: 1-byte round trips over the TCP echo, mean and median (a
// measurement for the README, asserted only to complete: a Read that spins
// on EAGAIN against one that waits on the netpoller).
func rtt(addr string) (string, error) {
	c, err := dial(context.Background(), "tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	const n = 300
	b := []byte{0}
	took := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		t0 := time.Now()
		b[0] = byte(i)
		if _, err := c.Write(b); err != nil {
			return "", err
		}
		if _, err := io.ReadFull(c, b); err != nil || b[0] != byte(i) {
			return "", fmt.Errorf("round trip %d: %v %d", i, err, b[0])
		}
		took = append(took, time.Since(t0))
	}
	var sum time.Duration
	for _, d := range took {
		sum += d
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	return fmt.Sprintf("%d round trips of 1 byte: mean %v, median %v", n, (sum / n).Round(time.Microsecond), took[n/2].Round(time.Microsecond)), nil
}

func main() {
	lib := os.Getenv("LIB")
	switch lib {
	case "wasinet":
		dial = wnDial
	case "dispatch":
		dial = drDial
	default:
		fmt.Println("FAIL lib: LIB must be wasinet or dispatch")
		fmt.Println("done")
		return
	}
	net.DefaultResolver.PreferGo = true
	net.DefaultResolver.Dial = dial
	base := "http://" + os.Getenv("HTTP_NAME")
	checks := []struct {
		name string
		run  func() (string, error)
	}{
		{"redis_ping", func() (string, error) { return redisPing(os.Getenv("REDIS")) }},
		{"lookup_host", lookupHost},
		{"own_lookup", func() (string, error) { return ownLookup(lib) }},
		{"http_get", func() (string, error) { return httpGet(base) }},
		{"http_post", func() (string, error) { return httpPost(base) }},
	}
	if os.Getenv("TCP_ECHO") != "" {
		checks = append(checks, struct {
			name string
			run  func() (string, error)
		}{"rtt", func() (string, error) { return rtt(os.Getenv("TCP_ECHO")) }})
	}
	if lib == "dispatch" {
		checks = append(checks, struct {
			name string
			run  func() (string, error)
		}{"read_deadline", func() (string, error) { return redisDeadline(os.Getenv("REDIS")) }},
			struct {
				name string
				run  func() (string, error)
			}{"lookup_tcp", lookupTCP})
	}
	for _, c := range checks {
		if detail, err := c.run(); err != nil {
			fmt.Printf("FAIL %s: %v\n", c.name, err)
		} else {
			fmt.Printf("ok %s %s\n", c.name, detail)
		}
	}
	fmt.Println("done")
}
