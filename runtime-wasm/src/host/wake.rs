//! Waiting for a JS table's readiness without a Promise: the wake path of
//! every read that finds nothing queued (Conns, HTTP bodies, PacketConns).
//!
//! The instance registers one callback with JS once (`_netSetWaker`, see
//! js/wake.ts) and gets an id. A wait takes a slot here and hands the table
//! its token (`id * 2^32 + slot`); when a read would no longer find the
//! queue empty, the table calls the callback with that token, synchronously,
//! and the slot's `Waker` is woken: the task runs on its executor's next
//! microtask, or, on this crate's executor woken from a browser event (no
//! call of ours into JS in progress), at once (`crate::task::wake_direct`). No
//! Promise, no closure and no allocation per wait (a `JsFuture` cost a
//! Promise, two closures and two microtask hops).
//!
//! Slots are reused under a generation count, so a late wake for an old
//! wait can at worst wake a newer one spuriously (futures tolerate that:
//! the read tries again and waits again). At most [`MAX_WAITS`] waits at
//! once; past that a wait is refused with an error instead of growing.
//! No borrow of the slot table is held across a call into JS, so a table
//! that wakes synchronously (Close, a deadline already past) finds it free.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

use crate::host::bindings as js;
use crate::net::Error;

/// The table's "forget this waiter" binding: `(handle, key)`, the key being
/// the wait's token or the Promise a call returned (see `crate::host::pending`).
pub type Forget = fn(u32, &JsValue) -> Result<(), Error>;

/// The table's "wake this token when a read would not wait" binding.
pub type Register = fn(u32, f64) -> Result<(), Error>;

const SLOT_BITS: u32 = 16;
/// Reads waiting at once in one instance, at most.
pub const MAX_WAITS: usize = 1 << SLOT_BITS;
/// A token's high part is the instance's id (js/wake.ts).
const ID_UNIT: f64 = 4_294_967_296.0;

enum State {
    Free,
    Waiting(Option<Waker>),
    Woken,
}

struct Slot {
    gen: u16,
    state: State,
}

#[derive(Default)]
struct Slots {
    slots: Vec<Slot>,
    free: Vec<u32>,
}

/// What JS calls with a token.
type WakeCallback = Closure<dyn Fn(f64)>;

thread_local! {
    static SLOTS: RefCell<Slots> = RefCell::new(Slots::default());
    /// `id * 2^32` once the callback is registered.
    static BASE: Cell<Option<f64>> = const { Cell::new(None) };
}

/// The token's high part, registering the callback on first use.
fn base() -> Result<f64, Error> {
    if let Some(b) = BASE.with(Cell::get) {
        return Ok(b);
    }
    let f = WakeCallback::new(wake);
    let id = js::set_waker(f.as_ref().unchecked_ref())?;
    f.forget(); // JS holds it for the instance's life
    let b = f64::from(id) * ID_UNIT;
    BASE.with(|c| c.set(Some(b)));
    Ok(b)
}

/// The slot index and generation of a token's low part.
fn split(local: u32) -> (usize, u16) {
    ((local & ((1 << SLOT_BITS) - 1)) as usize, (local >> SLOT_BITS) as u16)
}

/// Called by JS with a token it was given: wakes that wait.
fn wake(token: f64) {
    // `as` saturates (NaN is 0): a bad value wakes nothing or, at worst, a
    // wait spuriously.
    let (i, gen) = split((token as u64 & 0xffff_ffff) as u32);
    let waker = SLOTS.with(|s| {
        let mut s = s.borrow_mut();
        match s.slots.get_mut(i) {
            Some(slot) if slot.gen == gen => match std::mem::replace(&mut slot.state, State::Woken) {
                State::Waiting(w) => w,
                other => {
                    slot.state = other; // Free stays free; Woken stays woken
                    None
                }
            },
            _ => None,
        }
    });
    let Some(w) = waker else { return };
    if js::in_js() {
        // A table waking from inside one of our calls into it: the caller's
        // frames are below, so the woken task runs later (a microtask).
        w.wake();
    } else {
        // From the browser's own event (a message, a timer): nothing of ours
        // below, so what it woke (an extern call, a `task::spawn_local`
        // task) is polled now, inside the event.
        crate::task::wake_direct(|| w.wake());
    }
}

fn take_slot() -> Result<u32, Error> {
    SLOTS.with(|s| {
        let mut s = s.borrow_mut();
        let i = match s.free.pop() {
            Some(i) => i,
            None if s.slots.len() < MAX_WAITS => {
                s.slots.push(Slot { gen: 0, state: State::Free });
                (s.slots.len() - 1) as u32
            }
            None => {
                return Err(Error::other(format!(
                    "too many reads waiting at once (at most {MAX_WAITS} in one instance)"
                )))
            }
        };
        let slot = &mut s.slots[i as usize];
        slot.state = State::Waiting(None);
        Ok(u32::from(slot.gen) << SLOT_BITS | i)
    })
}

/// Frees a slot; true if it was still waiting (the table holds its token).
fn free_slot(local: u32) -> bool {
    let (i, gen) = split(local);
    SLOTS.with(|s| {
        let mut s = s.borrow_mut();
        let Some(slot) = s.slots.get_mut(i).filter(|slot| slot.gen == gen) else {
            return false;
        };
        let waiting = matches!(slot.state, State::Waiting(_));
        slot.state = State::Free;
        slot.gen = slot.gen.wrapping_add(1);
        s.free.push(i as u32);
        waiting
    })
}

/// One wait on a table's readiness. Dropping it before it is woken makes
/// the table forget the token; nothing is lost either way (the bytes stay
/// queued for the next read).
pub struct Ready {
    handle: u32,
    local: u32,
    token: f64,
    forget: Forget,
    done: bool,
}

impl Ready {
    /// Registers a wait for handle `h` with the table's `register` binding.
    pub fn start(h: u32, register: Register, forget: Forget) -> Result<Ready, Error> {
        let base = base()?;
        let local = take_slot()?;
        let token = base + f64::from(local);
        if let Err(e) = register(h, token) {
            free_slot(local);
            return Err(e);
        }
        Ok(Ready {
            handle: h,
            local,
            token,
            forget,
            done: false,
        })
    }
}

impl Future for Ready {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.done {
            return Poll::Ready(());
        }
        let (i, gen) = split(self.local);
        let woken = SLOTS.with(|s| {
            let mut s = s.borrow_mut();
            match s.slots.get_mut(i) {
                Some(Slot {
                    gen: g,
                    state: State::Waiting(w),
                }) if *g == gen => {
                    match w {
                        Some(w) if w.will_wake(cx.waker()) => {}
                        _ => *w = Some(cx.waker().clone()),
                    }
                    false
                }
                _ => true, // woken (or, impossibly, gone: never hang)
            }
        });
        if !woken {
            return Poll::Pending;
        }
        self.done = true;
        free_slot(self.local);
        Poll::Ready(())
    }
}

impl Drop for Ready {
    fn drop(&mut self) {
        if !self.done && free_slot(self.local) {
            let _ = (self.forget)(self.handle, &JsValue::from_f64(self.token));
        }
    }
}

/// Waits being held (for leak checks in tests).
#[cfg_attr(not(feature = "js-api"), allow(dead_code))]
pub(crate) fn waiting() -> usize {
    SLOTS.with(|s| {
        let s = s.borrow();
        s.slots.len() - s.free.len()
    })
}
