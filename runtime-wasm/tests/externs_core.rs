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

fn add(a: Args) -> Vec<Value> {
    vec![Value::Int(a.int(0) + a.int(1)), Value::Nil]
}

fn gated(a: Args) -> ExternFuture {
    let base = a.int(0);
    Box::pin(async move { vec![Value::Int(base + Gate.await)] })
}

fn instant(a: Args) -> ExternFuture {
    let s = a.str(0).to_string();
    Box::pin(async move { vec![Value::Str(s.to_uppercase()), Value::Error(Error::Eof)] })
}

static TABLE: [Extern; 3] = [
    Extern::now(
        "t_add",
        "t.Add",
        &[("a", Kind::Int), ("b", Kind::Int)],
        &[Kind::Int, Kind::Error],
        add,
    ),
    Extern::wait(
        "t_gated",
        "t.Gated",
        &[("base", Kind::Int)],
        &[Kind::Int],
        gated,
    ),
    Extern::wait(
        "t_instant",
        "t.Instant",
        &[("s", Kind::Str)],
        &[Kind::Str, Kind::Error],
        instant,
    ),
];

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
}

both! {
    fn arguments_are_checked_not_trusted() {
        let add = &TABLE[0];
        assert_eq!(done(add.call(ExternCall::new(vec![Value::Int(2), Value::Int(40)]))), vec![Value::Int(42), Value::Nil]);
        assert_eq!(
            fail(add.call(ExternCall::new(vec![Value::Int(2)]))),
            "t_add: want 2 argument(s), got 1 (signature: t_add(a int, b int) (int, error))"
        );
        assert_eq!(
            fail(add.call(ExternCall::new(vec![Value::Int(2), Value::Str("40".into())]))),
            "t_add: argument 2 (b) must be int, got string"
        );
        assert_eq!(
            fail(TABLE[2].call(ExternCall::new(vec![Value::Nil]))),
            "t_instant: argument 1 (s) must be string, got nil"
        );
        assert_eq!(TABLE[1].signature(), "t_gated(base int) int");
        assert!(TABLE[1].can_wait() && !TABLE[0].can_wait());
    }

    fn a_call_that_finishes_at_once_needs_no_token() {
        let before = pending_count();
        let out = done(TABLE[2].call(ExternCall::new(vec![Value::Str("go".into())])));
        assert_eq!(out, vec![Value::Str("GO".into()), Value::Error(Error::Eof)]);
        assert_eq!(pending_count(), before);
    }

    fn pending_token_then_resume_collects_once() {
        reset();
        let gated = &TABLE[1];
        let before = pending_count();
        let t = pending(gated.call(ExternCall::new(vec![Value::Int(100)])));
        assert_eq!(is_ready(t), Some(false));
        // Re-invoked too early: still pending, same token.
        assert_eq!(pending(gated.call(ExternCall::resume(t))), t);
        // Another extern cannot take it.
        assert!(fail(TABLE[2].call(ExternCall::resume(t))).contains("belongs to a pending t_gated call"));
        open_gate(5);
        assert_eq!(is_ready(t), Some(true));
        assert_eq!(done(gated.call(ExternCall::resume(t))), vec![Value::Int(105)]);
        // Collected: the token is spent.
        assert!(fail(gated.call(ExternCall::resume(t))).contains(&format!("no pending call with token {t}")));
        assert_eq!(is_ready(t), None);
        assert_eq!(pending_count(), before);
    }

    fn cancel_drops_the_future() {
        reset();
        let before = pending_count();
        let t = pending(TABLE[1].call(ExternCall::new(vec![Value::Int(1)])));
        assert_eq!(DROPPED.with(Cell::get), 0);
        assert!(cancel(t));
        assert_eq!(DROPPED.with(Cell::get), 1, "cancel must drop the call's future");
        assert!(!cancel(t));
        // Waiting on a cancelled token does not hang; resuming says why.
        let mut w = pin!(wait(t));
        assert_eq!(w.as_mut().poll(&mut Context::from_waker(Waker::noop())), Poll::Ready(()));
        assert!(fail(TABLE[1].call(ExternCall::resume(t))).contains("cancelled"));
        assert_eq!(pending_count(), before);
    }

    fn the_async_adapter_runs_the_loop_and_cancels_on_drop() {
        reset();
        let before = pending_count();
        {
            let mut call = pin!(externs::call(&TABLE[1], vec![Value::Int(10)]));
            let mut cx = Context::from_waker(Waker::noop());
            assert!(call.as_mut().poll(&mut cx).is_pending());
            assert_eq!(pending_count(), before + 1);
            open_gate(1);
            // open_gate ran the woken call.
            assert_eq!(call.as_mut().poll(&mut cx), Poll::Ready(Ok(vec![Value::Int(11)])));
        }
        reset();
        {
            let mut call = pin!(externs::call(&TABLE[1], vec![Value::Int(10)]));
            assert!(call.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_pending());
        }
        // Dropped while pending: the call was cancelled, its future dropped.
        assert!(DROPPED.with(Cell::get) >= 1);
        assert_eq!(pending_count(), before);
        // Misuse comes back as an error, not a panic.
        let mut bad = pin!(externs::call(&TABLE[0], vec![]));
        match bad.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(Err(e)) => assert!(e.0.starts_with("t_add: want 2 argument(s), got 0")),
            other => panic!("{other:?}"),
        }
    }

    fn registration_takes_exactly_the_declared_names() {
        let declared = ["fmt_Println", "t_gated", "t_add", "t_missing", "os_Open", "t_other_missing"];
        let mut reg = Registry::new();
        let err = register_table("t", &TABLE, |n| n.starts_with("t_"), &mut reg, &declared)
            .expect_err("two names are unknown");
        assert_eq!(err.unknown, ["t_missing", "t_other_missing"]);
        assert_eq!(
            err.to_string(),
            "t: the module declares 2 extern(s) this version of runtime-wasm does not provide: t_missing, t_other_missing"
        );
        // The known ones are registered under their declaration position.
        assert_eq!(reg.len(), 2);
        assert_eq!(reg.by_id(1).map(|e| e.name), Some("t_gated"));
        assert_eq!(reg.by_id(2).map(|e| e.name), Some("t_add"));
        assert!(reg.by_id(0).is_none() && reg.by_id(4).is_none() && reg.by_id(99).is_none());
        assert_eq!(reg.get("t_add").map(|e| e.go), Some("t.Add"));
        assert!(reg.get("t_instant").is_none(), "not declared, so not registered");

        let mut reg = Registry::new();
        assert_eq!(register_table("t", &TABLE, |n| n.starts_with("t_"), &mut reg, &["t_instant", "x_y"]), Ok(1));
    }
}
