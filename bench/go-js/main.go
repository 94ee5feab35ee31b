//go:build js && wasm

// What a Go user would pick instead of this crate: Go's own js/wasm port,
// whose net/http client is the browser's fetch (net/http/roundtrip_js.go).
// The benchmark page (bench/www/bench.ts) calls goHttpGet(url) and gets
// [ms, bytes, ttfbMs]: the whole GET with its body read in 64 KiB reads
// (bench/src/lib.rs's READ_BUF), and the time to the response headers.
package main

import (
	"errors"
	"io"
	"net/http"
	"syscall/js"
	"time"
)

func get(url string) (ms, ttfb float64, n int, err error) {
	t0 := time.Now()
	resp, err := http.Get(url)
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

func main() {
	js.Global().Set("goHttpGet", js.FuncOf(func(_ js.Value, args []js.Value) any {
		url := args[0].String()
		return js.Global().Get("Promise").New(js.FuncOf(func(_ js.Value, p []js.Value) any {
			resolve, reject := p[0], p[1]
			go func() {
				ms, ttfb, n, err := get(url)
				if err != nil {
					reject.Invoke(js.Global().Get("Error").New(err.Error()))
					return
				}
				resolve.Invoke(js.ValueOf([]any{ms, n, ttfb}))
			}()
			return nil
		}))
	}))
	js.Global().Set("goReady", true)
	select {}
}
