//! `task::spawn_local` in headless Chromium against the real echo peer: a
//! read woken by a WebSocket message finishes inside that message's event
//! (with wasm-bindgen-futures' executor it finishes a microtask later), and
//! a read woken from inside one of our own calls (Close) still settles.
#![cfg(target_arch = "wasm32")]

mod common;
use common::browser::*;

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use futures::channel::oneshot;
use js_sys::{Function, Reflect};
use runtime_wasm::task;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test as test;

type Spawn = fn(Pin<Box<dyn Future<Output = ()>>>);

/// Wraps every classic WebSocket's `onmessage` so that, as the handler
/// returns (before any microtask runs), it records whether the reader has
/// its byte yet (`globalThis.__taskTest.done`).
fn hook_onmessage() {
    Function::new_no_args(
        r#"
        const d = Object.getOwnPropertyDescriptor(WebSocket.prototype, "onmessage");
        const t = (globalThis.__taskTest = { d, done: false, seen: [] });
        Object.defineProperty(WebSocket.prototype, "onmessage", {
          configurable: true,
          get() { return d.get.call(this); },
          set(f) { d.set.call(this, f && ((e) => { f.call(this, e); t.seen.push(t.done); })); },
        });"#,
    )
    .call0(&JsValue::NULL)
    .expect("hook onmessage");
}

fn unhook_onmessage() {
    Function::new_no_args(r#"Object.defineProperty(WebSocket.prototype, "onmessage", globalThis.__taskTest.d);"#)
        .call0(&JsValue::NULL)
        .expect("unhook onmessage");
}

fn hook_state(key: &str) -> JsValue {
    let t = Reflect::get(&js_sys::global(), &"__taskTest".into()).expect("hook state");
    Reflect::get(&t, &key.into()).expect("hook field")
}

/// One byte echoed, read by a task `spawn` runs: whether the read had
/// finished when the echo's message handler returned.
async fn read_done_inside_the_event(spawn: Spawn) -> bool {
    hook_onmessage();
    let c = Rc::new(dial_echo_on("classic", "").await);
    let (tx, rx) = oneshot::channel();
    let reader = c.clone();
    spawn(Box::pin(async move {
        let mut b = [0u8; 1];
        let n = reader.read(&mut b).await.expect("read");
        let t = Reflect::get(&js_sys::global(), &"__taskTest".into()).expect("hook state");
        Reflect::set(&t, &"done".into(), &true.into()).expect("set done");
        let _ = tx.send((n, b[0]));
    }));
    sleep(20).await; // the reader is waiting: nothing has been sent
    c.write_all(b"x").await.expect("write");
    assert_eq!(rx.await.expect("the reader finished"), (1, b'x'));
    let seen: Vec<bool> = js_sys::Array::from(&hook_state("seen"))
        .iter()
        .map(|v| v.as_bool().expect("a bool"))
        .collect();
    c.close().await.expect("close");
    unhook_onmessage();
    assert_eq!(seen.len(), 1, "one message: {seen:?}");
    seen[0]
}

#[test]
async fn a_read_woken_by_a_message_finishes_inside_its_event() {
    assert!(
        read_done_inside_the_event(|f| task::spawn_local(f)).await,
        "on the crate's executor the read finishes inside the message's event"
    );
    // The control: the same read on wasm-bindgen-futures finishes a
    // microtask after the event, so the hook can tell the two apart.
    assert!(
        !read_done_inside_the_event(|f| wasm_bindgen_futures::spawn_local(f)).await,
        "on wasm-bindgen-futures the read finishes after the event"
    );
    assert_eq!(spawned(), 0.0);
}

fn spawned() -> f64 {
    let counts = runtime_wasm::js_api::extern_counts();
    Reflect::get(&counts, &"spawned".into()).expect("spawned").as_f64().expect("a number")
}

#[test]
async fn a_read_pending_across_close_settles_and_the_task_ends() {
    for t in transports() {
        let c = Rc::new(dial_echo_on(t, "").await);
        let (tx, rx) = oneshot::channel();
        let reader = c.clone();
        task::spawn_local(async move {
            let mut b = [0u8; 1];
            let _ = tx.send(reader.read(&mut b).await);
        });
        sleep(10).await;
        assert_eq!(spawned(), 1.0, "{t}: the reader waits");
        // Close wakes the read from inside our own call into JS: it runs a
        // microtask later, not inside Close.
        c.close().await.expect("close");
        let e = rx.await.expect("the reader finished").expect_err("a read on a closed Conn fails");
        assert!(e.to_string().contains("use of closed network connection"), "{t}: {e}");
        assert_eq!(spawned(), 0.0, "{t}: the task ended and its slot is free");
    }
}
