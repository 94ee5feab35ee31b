//! The extern machinery with externs of the test's own: argument checks,
//! the pending-token model (invoke, wait, resume, stale tokens, cancel),
//! registration and the async adapter. Natively and in Chromium.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use runtime_wasm::externs::{self, *};
use runtime_wasm::net::Error;

#[macro_use]
mod common;

thread_local! {
    /// A one-shot the test completes by hand: (value, waker, dropped).
    static GATE: RefCell<(Option<i64>, Option<Waker>)> = const { RefCell::new((None, None)) };
    static DROPPED: Cell<u32> = const { Cell::new(0) };
}

fn open_gate(v: i64) {
    let w = GATE.with(|g| {
        let mut g = g.borrow_mut();
        g.0 = Some(v);
        g.1.take()
    });
    if let Some(w) = w {
        w.wake();
    }
    // Run the woken call now: natively nothing else would, and in the
    // browser it would only run from a microtask after this test's sync code.
    run_ready();
}

struct Gate;
impl Future for Gate {
    type Output = i64;
    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<i64> {
        GATE.with(|g| {
            let mut g = g.borrow_mut();
            match g.0.take() {
                Some(v) => Poll::Ready(v),
                None => {
                    g.1 = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
    }
}
impl Drop for Gate {
    fn drop(&mut self) {
        DROPPED.with(|d| d.set(d.get() + 1));
    }
}

thread_local! {
    /// A byte queue the test fills by hand: what a Conn's JS table holds.
    static QUEUE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

fn add(a: &mut Args<'_, '_>) -> Vec<Value> {
    vec![Value::Int(a.int(0) + a.int(1)), Value::Nil]
}

fn gated(a: &mut Args<'_, '_>, _: Option<u64>) -> Step {
    let base = a.int(0);
    results(async move { vec![Value::Int(base + Gate.await)] })
}

fn instant(a: &mut Args<'_, '_>, _: Option<u64>) -> Step {
    let s = a.str(0).to_string();
    results(async move { vec![Value::Str(s.to_uppercase()), Value::Error(Error::Eof)] })
}

/// Go's poller, as the read externs do it: take queued bytes into the
/// destination; when none are queued, wait for the gate (readiness) and
/// let the replay try again.
#[allow(irrefutable_let_patterns)] // refutable in wasm32, where Dest has a JS variant
fn read(a: &mut Args<'_, '_>, retry: Option<u64>) -> Step {
    let Dest::Slice(dest) = a.dest(0) else { unreachable!() };
    let took = QUEUE.with(|q| {
        let mut q = q.borrow_mut();
        let n = q.len().min(dest.len());
        dest[..n].copy_from_slice(&q[..n]);
        q.drain(..n);
        n
    });
    if took > 0 {
        return Step::Done(vec![Value::Int(took as i64), Value::Int(retry.map_or(-1, |r| r as i64))]);
    }
    Step::Wait(Box::pin(async {
        Gate.await;
        Resume::Retry(7)
    }))
}

static TABLE: [Extern; 4] = [
    Extern::now("t", "add", "t.Add", &[("a", Kind::Int), ("b", Kind::Int)], &[Kind::Int, Kind::Error], add),
    Extern::wait("t", "gated", "t.Gated", &[("base", Kind::Int)], &[Kind::Int], gated),
    Extern::wait("t", "instant", "t.Instant", &[("s", Kind::Str)], &[Kind::Str, Kind::Error], instant),
    Extern::wait("t", "blocking_read", "t.Read", &[("b", Kind::Bytes)], &[Kind::Int, Kind::Int], read),
];

static GROUPED: Extern = Extern::now(
    "net",
    "dial",
    "net.Dial",
    &[("network", Kind::Str), ("address", Kind::Str), ("timeout", Kind::Duration)],
    &[Kind::Int, Kind::Error],
    add,
);

fn done(r: ExternResult) -> Vec<Value> {
    match r {
        ExternResult::Done(v) => v,
        other => panic!("expected Done, got {other:?}"),
    }
}

fn fail(r: ExternResult) -> String {
    match r {
        ExternResult::Fail(e) => e.to_string(),
        other => panic!("expected Fail, got {other:?}"),
    }
}

fn pending(r: ExternResult) -> Token {
    match r {
        ExternResult::Pending(t) => t,
        other => panic!("expected Pending, got {other:?}"),
    }
}

fn reset() {
    GATE.with(|g| *g.borrow_mut() = (None, None));
    DROPPED.with(|d| d.set(0));
    QUEUE.with(|q| q.borrow_mut().clear());
}

fn ints(v: &[i64]) -> Vec<Arg<'static>> {
    v.iter().map(|n| Arg::Int(*n)).collect()
}

both! {
    fn arguments_are_checked_not_trusted() {
        let add = &TABLE[0];
        assert_eq!(done(add.call(ExternCall::new(ints(&[2, 40])))), vec![Value::Int(42), Value::Nil]);
        assert_eq!(
            fail(add.call(ExternCall::new(ints(&[2])))),
            "t.add: want 2 argument(s), got 1 (signature: add(a, b int) (int, error))"
        );
        assert_eq!(
            fail(add.call(ExternCall::new(vec![Arg::Int(2), Arg::Str("40")]))),
            "t.add: argument 2 (b) must be int, got string"
        );
        assert_eq!(
            fail(TABLE[2].call(ExternCall::new(vec![Arg::Nil]))),
            "t.instant: argument 1 (s) must be string, got nil"
        );
        // A []byte takes a read-only slice, a fillable one, or nil; nothing else.
        let mut buf = [0u8; 2];
        assert!(!matches!(TABLE[3].call(ExternCall::new(vec![Arg::Buf(&mut buf)])), ExternResult::Fail(_)));
        assert!(fail(TABLE[3].call(ExternCall::new(vec![Arg::Str("x")]))).contains("must be []byte, got string"));
        assert_eq!(TABLE[1].signature(), "gated(base int) int");
        assert!(TABLE[1].may_wait() && !TABLE[0].may_wait());
        reset();
    }

    fn signatures_are_spelled_as_vo_declares_them() {
        assert_eq!(GROUPED.signature(), "dial(network, address string, timeout time.Duration) (int, error)");
        assert_eq!(GROUPED.canonical_name(), "vo1:3:net:4:dial");
        assert_eq!(canonical_name("net/http", "nativeHttpsRequest"), "vo1:8:net/http:18:nativeHttpsRequest");
        assert_eq!(
            GROUPED.failed(Error::Closed),
            vec![Value::Int(0), Value::Error(Error::Closed)],
            "a failed call gives zero values beside the error"
        );
    }

    fn a_call_that_finishes_at_once_needs_no_token() {
        let before = pending_count();
        let out = done(TABLE[2].call(ExternCall::new(vec![Arg::Str("go")])));
        assert_eq!(out, vec![Value::Str("GO".into()), Value::Error(Error::Eof)]);
        assert_eq!(pending_count(), before);
    }

    fn pending_token_then_replay_collects_once() {
        reset();
        let gated = &TABLE[1];
        let before = pending_count();
        let t = pending(gated.call(ExternCall::new(ints(&[100]))));
        assert_eq!(is_ready(t), Some(false));
        // Replayed too early: still pending, same token.
        assert_eq!(pending(gated.call(ExternCall::replay(ints(&[100]), t))), t);
        // Another extern cannot take it.
        assert!(fail(TABLE[2].call(ExternCall::replay(vec![Arg::Str("x")], t))).contains("belongs to a pending t.gated call"));
        open_gate(5);
        assert_eq!(is_ready(t), Some(true));
        assert_eq!(done(gated.call(ExternCall::replay(ints(&[100]), t))), vec![Value::Int(105)]);
        // Collected: the token is spent.
        assert!(fail(gated.call(ExternCall::replay(ints(&[100]), t))).contains(&format!("no pending call with token {t}")));
        assert_eq!(is_ready(t), None);
        assert_eq!(pending_count(), before);
    }

    fn a_read_waits_for_readiness_and_the_replay_fills_the_guest_buffer() {
        reset();
        let before = pending_count();
        let mut guest = [0u8; 4];
        // Queued bytes go straight into the buffer: no token.
        QUEUE.with(|q| q.borrow_mut().extend_from_slice(b"abcdef"));
        let out = done(TABLE[3].call(ExternCall::new(vec![Arg::Buf(&mut guest)])));
        assert_eq!((out[0].clone(), &guest), (Value::Int(4), b"abcd"), "split at the buffer's size");
        let out = done(TABLE[3].call(ExternCall::new(vec![Arg::Buf(&mut guest)])));
        assert_eq!((out[0].clone(), &guest[..2]), (Value::Int(2), &b"ef"[..]));
        // Nothing queued: a token; the replay after readiness tries again,
        // with the state the wait ended with.
        let t = pending(TABLE[3].call(ExternCall::new(vec![Arg::Buf(&mut guest)])));
        QUEUE.with(|q| q.borrow_mut().extend_from_slice(b"xyz"));
        open_gate(0);
        let out = done(TABLE[3].call(ExternCall::replay(vec![Arg::Buf(&mut guest)], t)));
        assert_eq!(out, vec![Value::Int(3), Value::Int(7)]);
        assert_eq!(&guest[..3], b"xyz");
        // Ready, but another reader took the bytes: a new wait, never a
        // spurious empty result.
        let t = pending(TABLE[3].call(ExternCall::new(vec![Arg::Buf(&mut guest)])));
        open_gate(0);
        let t2 = pending(TABLE[3].call(ExternCall::replay(vec![Arg::Buf(&mut guest)], t)));
        assert_ne!(t, t2);
        assert!(cancel(t2));
        assert_eq!(pending_count(), before);
        // Owned values work as arguments too (a Bytes is filled in place).
        QUEUE.with(|q| q.borrow_mut().extend_from_slice(b"hi"));
        let mut vals = vec![Value::Bytes(vec![0; 8])];
        let out = done(TABLE[3].call(ExternCall::new(args_of(&mut vals))));
        assert_eq!(out[0], Value::Int(2));
        assert_eq!(vals[0], Value::Bytes(b"hi\0\0\0\0\0\0".to_vec()));
        reset();
    }

    fn pending_calls_are_bounded_and_the_guest_gets_an_error() {
        reset();
        let before = pending_count();
        let tokens: Vec<Token> = (before..MAX_PENDING)
            .map(|_| pending(TABLE[1].call(ExternCall::new(ints(&[1])))))
            .collect();
        assert_eq!(pending_count(), MAX_PENDING);
        let out = done(TABLE[2].call(ExternCall::new(vec![Arg::Str("x")])));
        assert_eq!(out[0], Value::Str(String::new()));
        let Value::Error(e) = &out[1] else { panic!("{out:?}") };
        assert_eq!(
            e.to_string(),
            format!("t.instant: {MAX_PENDING} extern calls are pending or uncollected; replay or cancel some")
        );
        // An extern with no error result fails instead (misuse, not a Go error).
        assert!(fail(TABLE[1].call(ExternCall::new(ints(&[1])))).contains("extern calls are pending"));
        // A replay of a pending call still works at the bound.
        assert_eq!(pending(TABLE[1].call(ExternCall::replay(ints(&[1]), tokens[0]))), tokens[0]);
        tokens.iter().for_each(|t| assert!(cancel(*t)));
        assert_eq!(pending_count(), before);
        let out = done(TABLE[2].call(ExternCall::new(vec![Arg::Str("x")])));
        assert_eq!(out[0], Value::Str("X".into()));
        reset();
    }

    fn waits_on_one_token_are_bounded() {
        struct W;
        impl std::task::Wake for W {
            fn wake(self: std::sync::Arc<Self>) {}
        }
        reset();
        let t = pending(TABLE[1].call(ExternCall::new(ints(&[1]))));
        let wakers: Vec<Waker> = (0..=MAX_WAITERS).map(|_| Waker::from(std::sync::Arc::new(W))).collect();
        let mut waits: Vec<_> = (0..=MAX_WAITERS).map(|_| Box::pin(wait(t))).collect();
        for (i, (w, k)) in waits.iter_mut().zip(&wakers).enumerate() {
            let p = w.as_mut().poll(&mut Context::from_waker(k));
            // Past the bound a wait ends at once (a spurious wake, never a leak).
            assert_eq!(p.is_ready(), i == MAX_WAITERS, "wait {i}");
        }
        // The same waker again is not a new waiter.
        assert!(waits[0].as_mut().poll(&mut Context::from_waker(&wakers[0])).is_pending());
        assert!(cancel(t));
        reset();
    }

    fn on_done_runs_once_when_the_call_ends_or_is_cancelled() {
        thread_local! { static RAN: RefCell<Vec<&'static str>> = const { RefCell::new(Vec::new()) }; }
        let ran = |what: &'static str| -> OnDone { Box::new(move || RAN.with(|r| r.borrow_mut().push(what))) };
        let take = || RAN.with(|r| std::mem::take(&mut *r.borrow_mut()));
        reset();
        let before = pending_count();
        // Registered while running: run, in order, by the flush that ends it,
        // with the result still there for the replay to collect.
        let t = pending(TABLE[1].call(ExternCall::new(ints(&[10]))));
        on_done(t, ran("a"));
        on_done(t, ran("b"));
        assert!(take().is_empty());
        open_gate(1);
        assert_eq!(take(), ["a", "b"]);
        assert_eq!(is_ready(t), Some(true));
        // Done already, or no call behind the token: at once.
        on_done(t, ran("done"));
        assert_eq!(take(), ["done"]);
        assert_eq!(done(TABLE[1].call(ExternCall::replay(ints(&[10]), t))), vec![Value::Int(11)]);
        on_done(t, ran("gone"));
        assert_eq!(take(), ["gone"]);
        // Cancelled: run (a JS Promise waiting on it settles), once.
        let t = pending(TABLE[1].call(ExternCall::new(ints(&[1]))));
        on_done(t, ran("cancelled"));
        assert!(cancel(t));
        assert_eq!(take(), ["cancelled"]);
        assert!(!cancel(t));
        assert!(take().is_empty());
        // Bounded: past MAX_WAITERS a callback runs at once (a spurious end).
        let t = pending(TABLE[1].call(ExternCall::new(ints(&[1]))));
        (0..MAX_WAITERS).for_each(|_| on_done(t, ran("held")));
        assert!(take().is_empty());
        on_done(t, ran("over"));
        assert_eq!(take(), ["over"]);
        assert!(cancel(t));
        assert_eq!(take().len(), MAX_WAITERS);
        assert_eq!(pending_count(), before);
        reset();
    }

    fn cancel_drops_the_future() {
        reset();
        let before = pending_count();
        let t = pending(TABLE[1].call(ExternCall::new(ints(&[1]))));
        assert_eq!(DROPPED.with(Cell::get), 0);
        assert!(cancel(t));
        assert_eq!(DROPPED.with(Cell::get), 1, "cancel must drop the call's future");
        assert!(!cancel(t));
        // Waiting on a cancelled token does not hang; replaying says why.
        let mut w = pin!(wait(t));
        assert_eq!(w.as_mut().poll(&mut Context::from_waker(Waker::noop())), Poll::Ready(()));
        assert!(fail(TABLE[1].call(ExternCall::replay(ints(&[1]), t))).contains("cancelled"));
        assert_eq!(pending_count(), before);
    }

    fn the_async_adapter_runs_the_loop_and_cancels_on_drop() {
        reset();
        let before = pending_count();
        {
            let mut args = ints(&[10]);
            let mut call = pin!(externs::call(&TABLE[1], &mut args));
            let mut cx = Context::from_waker(Waker::noop());
            assert!(call.as_mut().poll(&mut cx).is_pending());
            assert_eq!(pending_count(), before + 1);
            open_gate(1);
            // open_gate ran the woken call.
            assert_eq!(call.as_mut().poll(&mut cx), Poll::Ready(Ok(vec![Value::Int(11)])));
        }
        reset();
        {
            let mut guest = [0u8; 3];
            {
                let mut args = vec![Arg::Buf(&mut guest)];
                let mut call = pin!(externs::call(&TABLE[3], &mut args));
                let mut cx = Context::from_waker(Waker::noop());
                assert!(call.as_mut().poll(&mut cx).is_pending());
                QUEUE.with(|q| q.borrow_mut().extend_from_slice(b"ok"));
                open_gate(0);
                assert_eq!(call.as_mut().poll(&mut cx), Poll::Ready(Ok(vec![Value::Int(2), Value::Int(7)])));
            }
            assert_eq!(&guest[..2], b"ok", "the adapter's replay filled the caller's buffer");
        }
        reset();
        {
            let mut args = ints(&[10]);
            let mut call = pin!(externs::call(&TABLE[1], &mut args));
            assert!(call.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_pending());
        }
        // Dropped while pending: the call was cancelled, its future dropped.
        assert!(DROPPED.with(Cell::get) >= 1);
        assert_eq!(pending_count(), before);
        // Misuse comes back as an error, not a panic.
        let mut none = Vec::new();
        let mut bad = pin!(externs::call(&TABLE[0], &mut none));
        match bad.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(Err(e)) => assert!(e.0.starts_with("t.add: want 2 argument(s), got 0")),
            other => panic!("{other:?}"),
        }
    }

    fn names_in_every_spelling_a_vm_has() {
        let pair = |s: &str| ExternName::parse(s).map(|n| (n.package.into_owned(), n.function.into_owned()));
        let p = |a: &str, b: &str| Some((a.to_string(), b.to_string()));
        assert_eq!(pair("vo1:3:net:4:dial"), p("net", "dial"));
        assert_eq!(pair("vo1:3:net:20:blocking_tcpConnRead"), p("net", "blocking_tcpConnRead"));
        assert_eq!(pair("vo1:8:net/http:18:nativeHttpsRequest"), p("net/http", "nativeHttpsRequest"));
        assert_eq!(pair("net_dial"), p("net", "dial"));
        assert_eq!(pair("net_http_nativeHttpsRequest"), p("net/http", "nativeHttpsRequest"));
        assert_eq!(pair("net_url_Parse"), p("net/url", "Parse"));
        assert_eq!(pair("net_blocking_tcpConnRead"), p("net", "blocking_tcpConnRead"));
        assert_eq!(pair("net.dial"), p("net", "dial"));
        assert_eq!(pair("net/http.getHttpErrors"), p("net/http", "getHttpErrors"));
        // Malformed canonical names are not guessed at.
        for bad in ["vo1:4:net:4:dial", "vo1:3:net:5:dial", "vo1:3:net:4:dialx", "vo1:x:net:4:dial", "vo1:0::4:dial", "vo1:3:net", "dial", "", "_x", "net.", "vo1:99999999999:a:1:b"] {
            assert_eq!(pair(bad), None, "{bad:?}");
        }
        // Multi-byte names: lengths are in bytes, and a length inside a
        // character is rejected, not a panic.
        assert_eq!(pair("vo1:4:nét:1:x"), p("nét", "x"));
        assert_eq!(pair("vo1:2:nét:1:x"), None);
    }

    fn registration_takes_exactly_the_declared_names() {
        let declared = ["fmt_Println", "t_gated", "vo1:1:t:3:add", "t_missing", "os_Open", "t.other_missing", "vo1:3:bad"];
        let mut reg = Registry::new();
        let err = register_table("t", &TABLE, &mut reg, &declared).expect_err("two names are unknown");
        assert_eq!(err.unknown, ["t.missing", "t.other_missing"]);
        assert_eq!(
            err.to_string(),
            "t: the module declares 2 extern(s) this version of runtime-wasm does not provide: t.missing, t.other_missing"
        );
        // The known ones are registered under their declaration position.
        assert_eq!(reg.len(), 2);
        assert_eq!(reg.by_id(1).map(|e| e.name), Some("gated"));
        assert_eq!(reg.by_id(2).map(|e| e.name), Some("add"));
        assert!(reg.by_id(0).is_none() && reg.by_id(4).is_none() && reg.by_id(99).is_none());
        assert_eq!(reg.get("t.add").map(|e| e.go), Some("t.Add"));
        assert_eq!(reg.get("vo1:1:t:3:add").map(|e| e.go), Some("t.Add"));
        assert!(reg.get("t.instant").is_none(), "not declared, so not registered");

        // Plain (package, function) pairs.
        let mut reg = Registry::new();
        assert_eq!(register_table("t", &TABLE, &mut reg, &[("t", "instant"), ("x", "y")]), Ok(1));
        assert_eq!(reg.by_id(0).map(|e| e.name), Some("instant"));
    }
}
