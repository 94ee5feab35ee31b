//go:build wasip1

// A Go program on plain net/http and net, for GOOS=wasip1, run in a page by
// go-net-wasm/wasi (tests-js/page/wasi.test.ts). Its one addition is the
// dialer in sock.go, plugged into http.Transport.DialContext. Addresses come
// from the environment (HTTP, REDIS, REFUSED, DENIED: host:port); it prints
// "ok <check> <detail>" or "FAIL <check>: <error>" per check, then "done".
// ONLY=a,b runs just those checks.
package main

import (
	"bufio"
	"bytes"
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
	"strings"
	"sync"
	"time"
)

var client = &http.Client{Transport: &http.Transport{DialContext: dial, MaxIdleConnsPerHost: 8}}

func get(url string) (*http.Response, []byte, error) {
	resp, err := client.Get(url)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func hashOf(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func httpGet(base string) (string, error) {
	resp, body, err := get(base + "/bytes?n=1048576&seed=7")
	if err != nil {
		return "", err
	}
	if resp.StatusCode != 200 || len(body) != 1<<20 || hashOf(body) != resp.Header.Get("x-sha256") {
		return "", fmt.Errorf("status %d, %d bytes, sha256 %s, header %s", resp.StatusCode, len(body), hashOf(body), resp.Header.Get("x-sha256"))
	}
	return fmt.Sprintf("%d bytes, sha256 matches", len(body)), nil
}

func httpPost(base string) (string, error) {
	payload := make([]byte, 300*1024)
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
	return fmt.Sprintf("the server got all %d bytes", echo.Length), nil
}

func httpTimeout(base string) (string, error) {
	c := &http.Client{Transport: client.Transport, Timeout: 300 * time.Millisecond}
	t0 := time.Now()
	_, terr := c.Get(base + "/slow-headers?ms=5000")
	took := time.Since(t0)
	if terr == nil || !strings.Contains(terr.Error(), "Client.Timeout exceeded") {
		return "", fmt.Errorf("want Client.Timeout exceeded, got %v", terr)
	}
	if took > 3*time.Second {
		return "", fmt.Errorf("the timeout took %v", took)
	}
	// The client is still good afterwards.
	resp, body, err := get(base + "/hello")
	if err != nil || resp.StatusCode != 200 || string(body) != "hello\n" {
		return "", fmt.Errorf("after the timeout: %v %q", err, body)
	}
	return fmt.Sprintf("%v after %v", terr, took.Round(time.Millisecond)), nil
}

func httpConcurrent(base string) (string, error) {
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			resp, body, err := get(fmt.Sprintf("%s/bytes?n=%d&seed=%d", base, 65536+i, i+1))
			if err == nil && (len(body) != 65536+i || hashOf(body) != resp.Header.Get("x-sha256")) {
				err = fmt.Errorf("request %d: %d bytes, hash mismatch", i, len(body))
			}
			errs[i] = err
		}(i)
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return "", err
	}
	return fmt.Sprintf("%d requests on goroutines, every body checked", n), nil
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

func redisDeadline(addr string) (string, error) {
	c, err := dialURL("tcp+dial://" + addr + "?nonblock=1")
	if err != nil {
		return "", err
	}
	defer c.Close()
	rw := bufio.NewReadWriter(bufio.NewReader(c), bufio.NewWriter(c))
	if r, err := redisCmd(rw, "PING"); err != nil || r != "+PONG" {
		return "", fmt.Errorf("PING: %q %v", r, err)
	}
	// Nothing is coming: the read deadline fires, and the connection stays usable.
	c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	_, rerr := rw.ReadByte()
	if !errors.Is(rerr, os.ErrDeadlineExceeded) {
		return "", fmt.Errorf("want a deadline error, got %v", rerr)
	}
	var ne net.Error
	if !errors.As(rerr, &ne) || !ne.Timeout() {
		return "", fmt.Errorf("not a net.Error timeout: %v", rerr)
	}
	c.SetReadDeadline(time.Time{})
	if r, err := redisCmd(rw, "SET", "go:wasip1", "hello from Go"); err != nil || r != "+OK" {
		return "", fmt.Errorf("SET: %q %v", r, err)
	}
	r, err := redisCmd(rw, "GET", "go:wasip1")
	if err != nil || r != "hello from Go" {
		return "", fmt.Errorf("GET: %q %v", r, err)
	}
	return fmt.Sprintf("peer %s, %q, GET %q after it", peerAddr(c), rerr, r), nil
}

func lookup() (string, error) {
	ips, err := lookupIP("ip", "dual.test.example")
	if err != nil {
		return "", err
	}
	var got []string
	for _, ip := range ips {
		got = append(got, ip.String())
	}
	if strings.Join(got, " ") != "10.9.8.7 fd00::7" {
		return "", fmt.Errorf("got %v", got)
	}
	if _, err := lookupIP("ip", "nxdomain.test.example"); err == nil {
		return "", errors.New("a name that does not exist resolved")
	}
	return strings.Join(got, " "), nil
}

func failing(addr string) (string, error) {
	_, err := client.Get("http://" + addr + "/")
	if err == nil {
		return "", errors.New("it connected")
	}
	return err.Error(), nil
}

func main() {
	only := os.Getenv("ONLY")
	wanted := func(name string) bool {
		if only == "" {
			return true
		}
		for _, o := range strings.Split(only, ",") {
			if o == name {
				return true
			}
		}
		return false
	}
	base := "http://" + os.Getenv("HTTP")
	checks := []struct {
		name string
		run  func() (string, error)
	}{
		{"lookup", lookup},
		{"http_get", func() (string, error) { return httpGet(base) }},
		{"http_post", func() (string, error) { return httpPost(base) }},
		{"http_concurrent", func() (string, error) { return httpConcurrent(base) }},
		{"http_timeout", func() (string, error) { return httpTimeout(base) }},
		{"redis_deadline", func() (string, error) { return redisDeadline(os.Getenv("REDIS")) }},
		{"refused", func() (string, error) { return failing(os.Getenv("REFUSED")) }},
		{"denied", func() (string, error) { return failing(os.Getenv("DENIED")) }},
	}
	for _, c := range checks {
		if !wanted(c.name) {
			continue
		}
		if detail, err := c.run(); err != nil {
			fmt.Printf("FAIL %s: %v\n", c.name, err)
		} else {
			fmt.Printf("ok %s %s\n", c.name, detail)
		}
	}
	fmt.Println("done")
}
