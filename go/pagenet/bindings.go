//go:build js && wasm

package pagenet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"sync"
	"syscall"
	"syscall/js"
)

// The page's bindings: the `_net*` functions js/net.ts installs on
// globalThis (registerNetBindings). Looked up once, on first use, so a page
// may register them after the program starts.
type bindings struct {
	connDialRelay, connDialWs, connOpened, connRead, connReady, connWrite js.Value
	connSetDeadline, connClose, connRelease, connForget                   js.Value
	udpListen, udpReadFrom, udpReady, udpWriteTo, udpSetDeadline          js.Value
	udpClose, udpRelease                                                  js.Value
	lookupHost, lookupIP                                                  js.Value
	uint8Array                                                            js.Value
}

var (
	bindOnce sync.Once
	bound    *bindings
	bindErr  error
)

func page() (*bindings, error) {
	bindOnce.Do(func() {
		g := js.Global()
		get := func(name string) js.Value {
			v := g.Get(name)
			if v.Type() != js.TypeFunction && bindErr == nil {
				bindErr = fmt.Errorf("pagenet: the page has no %s: call go-net-wasm's registerNetBindings() before running the Go program", name)
			}
			return v
		}
		b := &bindings{
			connDialRelay: get("_netConnDialRelay"), connDialWs: get("_netConnDialWs"), connOpened: get("_netConnOpened"),
			connRead: get("_netConnRead"), connReady: get("_netConnReady"), connWrite: get("_netConnWrite"),
			connSetDeadline: get("_netConnSetDeadline"), connClose: get("_netConnClose"), connRelease: get("_netConnRelease"),
			connForget: get("_netConnForget"),
			udpListen:  get("_netUdpListen"), udpReadFrom: get("_netUdpReadFrom"), udpReady: get("_netUdpReady"),
			udpWriteTo: get("_netUdpWriteTo"), udpSetDeadline: get("_netUdpSetDeadline"), udpClose: get("_netUdpClose"),
			udpRelease: get("_netUdpRelease"),
			lookupHost: get("_netLookupHost"), lookupIP: get("_netLookupIP"),
			uint8Array: g.Get("Uint8Array"),
		}
		if bindErr != nil {
			return
		}
		if err := startWaker(g.Get("_netSetWaker")); err != nil {
			bindErr = err
			return
		}
		bound = b
	})
	return bound, bindErr
}

// call invokes a binding; a JS exception (the tables throw NetErrors) is
// returned as a Go error, never a panic.
func call(fn js.Value, args ...any) (v js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			je, ok := r.(js.Error)
			if !ok {
				panic(r)
			}
			err = fromJS(je.Value)
		}
	}()
	return fn.Invoke(args...), nil
}

// await waits for a Promise (any other value is returned as it is), or for
// ctx. The callbacks release themselves when the Promise settles, so one
// abandoned on ctx is never called after release.
func await(ctx context.Context, p js.Value) (js.Value, error) {
	if p.Type() != js.TypeObject || p.Get("then").Type() != js.TypeFunction {
		return p, nil
	}
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	var ok, fail js.Func
	arg := func(a []js.Value) js.Value {
		if len(a) == 0 {
			return js.Undefined()
		}
		return a[0]
	}
	ok = js.FuncOf(func(_ js.Value, a []js.Value) any {
		ch <- result{v: arg(a)}
		ok.Release()
		fail.Release()
		return nil
	})
	fail = js.FuncOf(func(_ js.Value, a []js.Value) any {
		ch <- result{err: fromJS(arg(a))}
		ok.Release()
		fail.Release()
		return nil
	})
	p.Call("then", ok, fail)
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return js.Undefined(), ctx.Err()
	}
}

// ---- wakes: one callback for every wait (js/wake.ts) ----

// A wait's token is the waker's id times 2^32 plus a slot; the table calls
// the waker with it, synchronously, when a read would no longer wait.
var (
	wakeMu   sync.Mutex
	slots    = map[uint32]chan struct{}{}
	nextSlot uint32
	wakerID  float64
	waker    js.Func
)

func startWaker(setWaker js.Value) error {
	if setWaker.Type() != js.TypeFunction {
		return errors.New("pagenet: the page has no _netSetWaker: call go-net-wasm's registerNetBindings() before running the Go program")
	}
	waker = js.FuncOf(func(_ js.Value, a []js.Value) any {
		if len(a) == 0 || a[0].Type() != js.TypeNumber {
			return nil
		}
		slot := uint32(math.Mod(a[0].Float(), 1<<32))
		wakeMu.Lock()
		ch := slots[slot]
		wakeMu.Unlock()
		if ch != nil {
			select { // never blocks the page
			case ch <- struct{}{}:
			default:
			}
		}
		return nil
	})
	id, err := call(setWaker, waker)
	if err != nil {
		return err
	}
	wakerID = id.Float()
	return nil
}

// A waiting slot: its token for a `*Ready` call, and the channel the wake fills.
type slot struct {
	n  uint32
	ch chan struct{}
}

func newSlot() slot {
	wakeMu.Lock()
	defer wakeMu.Unlock()
	for slots[nextSlot] != nil {
		nextSlot++
	}
	s := slot{nextSlot, make(chan struct{}, 1)}
	slots[s.n] = s.ch
	nextSlot++
	return s
}

func (s slot) token() float64 { return wakerID*(1<<32) + float64(s.n) }

func (s slot) free() {
	wakeMu.Lock()
	delete(slots, s.n)
	wakeMu.Unlock()
}

// ---- errors: the tables' NetErrors (js/errors.ts) as Go's ----

// hostError is a failure in the page's words that still answers errors.Is
// for the errno it stands for (syscall.EACCES for the policy, so
// errors.Is(err, fs.ErrPermission) holds).
type hostError struct {
	msg   string
	errno syscall.Errno
}

func (e *hostError) Error() string { return e.msg }
func (e *hostError) Unwrap() error { return e.errno }

// unsupportedError is what the browser cannot do: errors.Is(err, errors.ErrUnsupported).
type unsupportedError struct{ msg string }

func (e *unsupportedError) Error() string        { return e.msg }
func (e *unsupportedError) Is(target error) bool { return target == errors.ErrUnsupported }

// fromJS turns a thrown or rejected value into a Go error.
func fromJS(v js.Value) error {
	if v.Type() != js.TypeObject {
		return fmt.Errorf("pagenet: %s", v.String())
	}
	code := v.Get("code")
	if code.Type() != js.TypeString {
		return errors.New(jsString(v))
	}
	msg := func() string { return jsString(v.Get("message")) }
	switch code.String() {
	case "eof":
		return io.EOF
	case "closed":
		return net.ErrClosed
	case "timeout", "deadline", "request_timeout":
		return os.ErrDeadlineExceeded
	case "refused":
		// Go's js syscall table capitalizes ("Connection refused"); Go's
		// net on every other port prints the kernel's lower-case words.
		return &os.SyscallError{Syscall: "connect", Err: &hostError{"connection refused", syscall.ECONNREFUSED}}
	case "reset":
		return &os.SyscallError{Syscall: "read", Err: &hostError{"connection reset by peer", syscall.ECONNRESET}}
	case "denied":
		return &hostError{msg(), syscall.EACCES}
	case "canceled", "context_canceled":
		return context.Canceled
	case "addr_in_use":
		return syscall.EADDRINUSE
	case "addr_not_available":
		return syscall.EADDRNOTAVAIL
	case "unsupported":
		return &unsupportedError{msg()}
	case "op", "url":
		// The table's own Go-shaped wrapper: ours wraps the cause instead.
		return fromJS(v.Get("err"))
	case "dns":
		return &net.DNSError{
			Err: jsString(v.Get("err")), Name: jsString(v.Get("name")), Server: jsString(v.Get("server")),
			IsTimeout: v.Get("is_timeout").Truthy(), IsTemporary: v.Get("is_temporary").Truthy(), IsNotFound: v.Get("is_not_found").Truthy(),
		}
	case "unknown_network":
		return net.UnknownNetworkError(jsString(v.Get("net")))
	case "addr":
		return &net.AddrError{Err: jsString(v.Get("err")), Addr: jsString(v.Get("addr"))}
	}
	if m := msg(); m != "" {
		return errors.New(m)
	}
	return errors.New(jsString(v))
}

func jsString(v js.Value) string {
	switch v.Type() {
	case js.TypeUndefined, js.TypeNull:
		return ""
	case js.TypeString:
		return v.String()
	}
	return js.Global().Get("String").Invoke(v).String()
}
