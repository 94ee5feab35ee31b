//go:build js && wasm

// What a Go user would pick instead of this crate: Go's own js/wasm port,
// whose net/http client is the browser's fetch (net/http/roundtrip_js.go).
// The benchmark page (bench/www/bench.ts) calls goHttpGet(url) and gets
// [ms, bytes, ttfbMs]: the whole GET with its body read in 64 KiB reads
// (bench/src/lib.rs's READ_BUF), and the time to the response headers.
// And what a Go user gets from go/pagenet: goPagenetGet (the same GET
// through Go's own transport over pagenet.DialContext, i.e. the relay),
// goTcpEcho (an echo through the relay) and goPinger* (1-byte round trips
// through the relay), each against the Rust Conn on the same relay.
package main

import (
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall/js"
	"time"

	"go-net-wasm/pagenet"
)

var pagenetClient = &http.Client{Transport: &http.Transport{DialContext: pagenet.DialContext}}

func get(client *http.Client, url string) (ms, ttfb float64, n int, err error) {
	t0 := time.Now()
	resp, err := client.Get(url)
	if err != nil {
		return 0, 0, 0, err
	}
	defer resp.Body.Close()
	ttfb = float64(time.Since(t0).Microseconds()) / 1000
	buf := make([]byte, 64*1024)
	for {
		k, err := resp.Body.Read(buf)
		n += k
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, 0, n, err
		}
	}
	return float64(time.Since(t0).Microseconds()) / 1000, ttfb, n, nil
}

// promise runs f on a goroutine and settles a JS Promise with its result.
func promise(f func() (any, error)) js.Value {
	return js.Global().Get("Promise").New(js.FuncOf(func(_ js.Value, p []js.Value) any {
		resolve, reject := p[0], p[1]
		go func() {
			v, err := f()
			if err != nil {
				reject.Invoke(js.Global().Get("Error").New(err.Error()))
				return
			}
			resolve.Invoke(js.ValueOf(v))
		}()
		return nil
	}))
}

// tcpEcho writes total bytes in chunk writes through the relay and reads
// them back at once; the time from the connected socket to the last byte.
func tcpEcho(addr string, total, chunk int) (float64, error) {
	c, err := pagenet.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	t0 := time.Now()
	werr := make(chan error, 1)
	go func() {
		buf := make([]byte, chunk)
		for sent := 0; sent < total; sent += chunk {
			if _, err := c.Write(buf[:min(chunk, total-sent)]); err != nil {
				werr <- err
				return
			}
		}
		werr <- nil
	}()
	buf := make([]byte, 64*1024)
	for got := 0; got < total; {
		k, err := c.Read(buf)
		if err != nil {
			return 0, err
		}
		got += k
	}
	if err := <-werr; err != nil {
		return 0, err
	}
	return float64(time.Since(t0).Microseconds()) / 1000, nil
}

var (
	pingMu  sync.Mutex
	pingers = map[int]net.Conn{}
	nextPin = 0
)

func main() {
	js.Global().Set("goHttpGet", js.FuncOf(func(_ js.Value, args []js.Value) any {
		url := args[0].String()
		return promise(func() (any, error) {
			ms, ttfb, n, err := get(http.DefaultClient, url)
			return []any{ms, n, ttfb}, err
		})
	}))
	js.Global().Set("goPagenetGet", js.FuncOf(func(_ js.Value, args []js.Value) any {
		url := args[0].String()
		return promise(func() (any, error) {
			ms, ttfb, n, err := get(pagenetClient, url)
			return []any{ms, n, ttfb}, err
		})
	}))
	js.Global().Set("goTcpEcho", js.FuncOf(func(_ js.Value, args []js.Value) any {
		addr, total, chunk := args[0].String(), args[1].Int(), args[2].Int()
		return promise(func() (any, error) { return tcpEcho(addr, total, chunk) })
	}))
	js.Global().Set("goPingerOpen", js.FuncOf(func(_ js.Value, args []js.Value) any {
		addr := args[0].String()
		return promise(func() (any, error) {
			c, err := pagenet.Dial("tcp", addr)
			if err != nil {
				return nil, err
			}
			pingMu.Lock()
			defer pingMu.Unlock()
			nextPin++
			pingers[nextPin] = c
			return nextPin, nil
		})
	}))
	js.Global().Set("goPing", js.FuncOf(func(_ js.Value, args []js.Value) any {
		id, b := args[0].Int(), byte(args[1].Int())
		return promise(func() (any, error) {
			pingMu.Lock()
			c := pingers[id]
			pingMu.Unlock()
			if c == nil {
				return nil, errors.New("no such pinger")
			}
			// Timed in Go, as a Go program would time its own round trip
			// (Go's clock on js is performance.now()), and as the Rust
			// Pinger times its own inside wasm.
			t0 := time.Now()
			if _, err := c.Write([]byte{b}); err != nil {
				return nil, err
			}
			var got [1]byte
			if _, err := io.ReadFull(c, got[:]); err != nil {
				return nil, err
			}
			ms := float64(time.Since(t0).Nanoseconds()) / 1e6
			if got[0] != b {
				return nil, errors.New("the echo changed the byte")
			}
			return ms, nil
		})
	}))
	js.Global().Set("goPingerClose", js.FuncOf(func(_ js.Value, args []js.Value) any {
		id := args[0].Int()
		pingMu.Lock()
		c := pingers[id]
		delete(pingers, id)
		pingMu.Unlock()
		if c != nil {
			c.Close()
		}
		return nil
	}))
	js.Global().Set("goReady", true)
	select {}
}
