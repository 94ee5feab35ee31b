//go:build js && wasm

// The test program of go-net-wasm/pagenet (GOOS=js GOARCH=wasm, run by Go's
// wasm_exec.js in tests-js/page/wasi.test.ts): each check prints "ok NAME
// detail" or "FAIL NAME: error", then "done". ONLY (comma-separated) picks
// checks. The peers come from the environment: REDIS, HTTP, HTTPS (with
// TLS_CA, the test CA's PEM), WS_ECHO (a URL), UDP_ECHO, REFUSED, DENIED (a
// port the page's policy denies), BLACKHOLE (accepts nothing, answers
// nothing: a WebSocket handshake that never completes).
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"go-net-wasm/pagenet"
)

func env(k string) string { return os.Getenv(k) }

// ---- Redis, by hand (RESP) ----

func redis(c net.Conn, r *bufio.Reader, args ...[]byte) (string, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n", len(a))
		b.Write(a)
		b.WriteString("\r\n")
	}
	if _, err := c.Write(b.Bytes()); err != nil {
		return "", err
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(line, "$") {
		var n int
		fmt.Sscanf(line, "$%d", &n)
		body := make([]byte, n+2)
		if _, err := io.ReadFull(r, body); err != nil {
			return "", err
		}
		return string(body[:n]), nil
	}
	return strings.TrimSpace(line), nil
}

func redisConn() (net.Conn, *bufio.Reader, error) {
	c, err := pagenet.Dial("tcp", env("REDIS"))
	if err != nil {
		return nil, nil, err
	}
	return c, bufio.NewReader(c), nil
}

func redisPing() (string, error) {
	c, r, err := redisConn()
	if err != nil {
		return "", err
	}
	defer c.Close()
	got, err := redis(c, r, []byte("PING"))
	if err != nil || got != "+PONG" {
		return "", fmt.Errorf("PING: %q %v", got, err)
	}
	return fmt.Sprintf("+PONG from %s (local %s)", c.RemoteAddr(), c.LocalAddr()), nil
}

func redis1MiB() (string, error) {
	c, r, err := redisConn()
	if err != nil {
		return "", err
	}
	defer c.Close()
	v := make([]byte, 1<<20)
	rand.Read(v)
	key := []byte(fmt.Sprintf("pagenet:%x", v[:8]))
	if got, err := redis(c, r, []byte("SET"), key, v); err != nil || got != "+OK" {
		return "", fmt.Errorf("SET: %q %v", got, err)
	}
	got, err := redis(c, r, []byte("GET"), key)
	if err != nil || got != string(v) {
		return "", fmt.Errorf("GET: %d bytes back, %v", len(got), err)
	}
	redis(c, r, []byte("DEL"), key)
	return "1 MiB SET and GET back whole", nil
}

// A read deadline passes with Go's timeout error; the connection answers after.
func readDeadline() (string, error) {
	c, r, err := redisConn()
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(150 * time.Millisecond))
	t0 := time.Now()
	_, err = r.ReadByte()
	var ne net.Error
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
		return "", fmt.Errorf("want a timeout, got %v", err)
	}
	waited := time.Since(t0)
	c.SetReadDeadline(time.Time{})
	got, err := redis(c, r, []byte("PING"))
	if err != nil || got != "+PONG" {
		return "", fmt.Errorf("after the deadline: %q %v", got, err)
	}
	return fmt.Sprintf("%v after %v, then +PONG on the same conn", err2(ne), waited.Round(10*time.Millisecond)), nil
}

func err2(e error) string { return e.Error() }

// Close wakes a Read blocked in another goroutine.
func closeWakesRead() (string, error) {
	c, _, err := redisConn()
	if err != nil {
		return "", err
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 16))
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	c.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			return "", fmt.Errorf("the blocked Read returned %v", err)
		}
		return err.Error(), nil
	case <-time.After(5 * time.Second):
		return "", errors.New("the blocked Read never returned")
	}
}

func concurrent() (string, error) {
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := redisPing(); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return "", err
	}
	return "16 goroutines, 16 conns, 16 PONGs", nil
}

func wsEcho() (string, error) {
	c, err := pagenet.Dial("ws", env("WS_ECHO"))
	if err != nil {
		return "", err
	}
	defer c.Close()
	msg := []byte("hello over a WebSocket from Go")
	if _, err := c.Write(msg); err != nil {
		return "", err
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, msg) {
		return "", fmt.Errorf("echo %q %v", got, err)
	}
	return fmt.Sprintf("%q back from %s", got, c.RemoteAddr()), nil
}

// Reads smaller than what is queued: the Conn takes up to 4 KiB at a time
// and serves the rest of it from Go, in order, without losing a byte.
func smallReads() (string, error) {
	c, err := pagenet.Dial("ws", env("WS_ECHO"))
	if err != nil {
		return "", err
	}
	defer c.Close()
	msg := make([]byte, 3000)
	for i := range msg {
		msg[i] = byte(i * 7)
	}
	if _, err := c.Write(msg); err != nil {
		return "", err
	}
	var back []byte
	buf := make([]byte, 7)
	reads := 0
	for len(back) < len(msg) {
		n, err := c.Read(buf)
		if err != nil {
			return "", err
		}
		back = append(back, buf[:n]...)
		reads++
	}
	if !bytes.Equal(back, msg) {
		return "", errors.New("the bytes came back out of order or changed")
	}
	return fmt.Sprintf("%d bytes in %d reads of at most 7", len(back), reads), nil
}

func udpEcho() (string, error) {
	c, err := pagenet.Dial("udp", env("UDP_ECHO"))
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("ping over udp")); err != nil {
		return "", err
	}
	buf := make([]byte, 100)
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != "ping over udp" {
		return "", fmt.Errorf("%q %v", buf[:n], err)
	}
	return fmt.Sprintf("%q", buf[:n]), nil
}

func lookup() (string, error) {
	addrs, err := pagenet.LookupHost("dual.test.example")
	if err != nil {
		return "", err
	}
	_, err = pagenet.LookupHost("nx.test.example")
	var de *net.DNSError
	if !errors.As(err, &de) || !de.IsNotFound {
		return "", fmt.Errorf("nx.test.example: want not found, got %v", err)
	}
	return strings.Join(addrs, " ") + "; " + err.Error(), nil
}

// ---- net/http: Go's own transport over the package's dialer ----

var client = &http.Client{Transport: &http.Transport{DialContext: pagenet.DialContext}}

func hashOf(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func get(c *http.Client, url string) (*http.Response, []byte, error) {
	resp, err := c.Get(url)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func httpGet() (string, error) {
	resp, body, err := get(client, "http://"+env("HTTP")+"/bytes?n=1048576&seed=7")
	if err != nil {
		return "", err
	}
	if resp.StatusCode != 200 || len(body) != 1<<20 || hashOf(body) != resp.Header.Get("x-sha256") {
		return "", fmt.Errorf("status %d, %d bytes", resp.StatusCode, len(body))
	}
	return fmt.Sprintf("%d bytes, sha256 matches, %s", len(body), resp.Proto), nil
}

func httpPost() (string, error) {
	payload := make([]byte, 300*1024)
	rand.Read(payload)
	resp, err := client.Post("http://"+env("HTTP")+"/echo", "application/octet-stream", bytes.NewReader(payload))
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
	return fmt.Sprintf("%d bytes posted, the server's sha256 matches", len(payload)), nil
}

// crypto/tls over the relay, with the roots the host hands the program.
func httpsGet() (string, error) {
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM([]byte(env("TLS_CA"))) {
		return "", errors.New("TLS_CA holds no certificate")
	}
	c := &http.Client{Transport: &http.Transport{DialContext: pagenet.DialContext, TLSClientConfig: &tls.Config{RootCAs: roots}}}
	resp, body, err := get(c, "https://"+env("HTTPS")+"/hello")
	if err != nil {
		return "", err
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(string(body), "hello over HTTP/1.1") {
		return "", fmt.Errorf("/hello: status %d, %q", resp.StatusCode, body)
	}
	payload := make([]byte, 256*1024)
	rand.Read(payload)
	up, err := c.Post("https://"+env("HTTPS")+"/upload?id=pagenet", "application/octet-stream", bytes.NewReader(payload))
	if err != nil {
		return "", err
	}
	defer up.Body.Close()
	var seen struct {
		Length int    `json:"length"`
		Sha256 string `json:"sha256"`
	}
	if err := json.NewDecoder(up.Body).Decode(&seen); err != nil || seen.Length != len(payload) || seen.Sha256 != hashOf(payload) {
		return "", fmt.Errorf("/upload: the server saw %+v (%v)", seen, err)
	}
	// And a client without the roots refuses the server.
	_, _, err = get(&http.Client{Transport: &http.Transport{DialContext: pagenet.DialContext}}, "https://"+env("HTTPS")+"/hello")
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		return "", fmt.Errorf("without the roots: want an unknown authority, got %v", err)
	}
	return fmt.Sprintf("%q and a %d-byte POST over %s (the server's sha256 matches); without the roots: %v", strings.TrimSpace(string(body)), len(payload), tlsName(resp.TLS.Version), unknown), nil
}

func tlsName(v uint16) string {
	if v == tls.VersionTLS13 {
		return "TLS 1.3"
	}
	return fmt.Sprintf("TLS %x", v)
}

func denied() (string, error) {
	_, err := pagenet.Dial("tcp", env("DENIED"))
	if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "not allowed") {
		return "", fmt.Errorf("want the policy's refusal, got %v", err)
	}
	return err.Error(), nil
}

func refused() (string, error) {
	_, err := pagenet.Dial("tcp", env("REFUSED"))
	if err == nil {
		return "", errors.New("the dial succeeded")
	}
	return err.Error(), nil
}

func dialTimeout() (string, error) {
	d := &pagenet.Dialer{Timeout: 300 * time.Millisecond}
	t0 := time.Now()
	_, err := d.DialContext(context.Background(), "ws", env("BLACKHOLE"))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		return "", fmt.Errorf("want a timeout, got %v", err)
	}
	return fmt.Sprintf("%v after %v", err, time.Since(t0).Round(50*time.Millisecond)), nil
}

func main() {
	checks := []struct {
		name string
		f    func() (string, error)
	}{
		{"redis_ping", redisPing}, {"redis_1mib", redis1MiB}, {"read_deadline", readDeadline},
		{"close_wakes_read", closeWakesRead}, {"concurrent", concurrent}, {"ws_echo", wsEcho}, {"small_reads", smallReads},
		{"udp_echo", udpEcho}, {"lookup", lookup}, {"http_get", httpGet}, {"http_post", httpPost},
		{"https_get", httpsGet}, {"denied", denied}, {"refused", refused}, {"dial_timeout", dialTimeout},
	}
	only := map[string]bool{}
	for _, n := range strings.Split(env("ONLY"), ",") {
		if n != "" {
			only[n] = true
		}
	}
	for _, c := range checks {
		if len(only) > 0 && !only[c.name] {
			continue
		}
		detail, err := c.f()
		if err != nil {
			fmt.Printf("FAIL %s: %v\n", c.name, err)
		} else {
			fmt.Printf("ok %s %s\n", c.name, detail)
		}
	}
	fmt.Println("done")
}
