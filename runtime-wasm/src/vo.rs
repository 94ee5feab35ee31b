//! The Vo web runtime's integration kit (feature `vo`): everything between
//! Vo's `ExternCallContext` and this crate's extern table, so that an
//! integrator writes only the bridge to Vo's own types (docs/vo.md's
//! "Integrating with the Vo web runtime" is that code, compiled by the test
//! command against a model of Vo's calling conventions).
//!
//! - [`Call`] mirrors the part of Vo's `ExternCallContext` the externs use:
//!   arguments and results by slot, an `error` as its two interface slots,
//!   Vo's sentinel cache, and host event tokens (`u64`). The integrator
//!   implements it for `ExternCallContext` with one line per method.
//! - [`call`] is the one provider for every extern: it finds the extern by
//!   the name Vo declared, reads its arguments of every kind (a `[]byte`
//!   that is not one run of memory, such as a slice of an array, is copied
//!   in and, for reads, back), writes Vo's results at Vo's slot offsets
//!   (`[]IP` and `*TCPAddr` IPs 16 bytes, as Vo's native provider gives
//!   them), and answers [`Outcome::Wait`] with a Vo token when the call must
//!   wait; Vo replays it with the same arguments and that token.
//! - Errors are Vo's: an error that *is* a sentinel is Vo's cached value
//!   (keys `net`, `http`, `io`), so `err == io.EOF` and `errors.Is` hold; an
//!   error that ends in one keeps Go's text with the sentinel as its cause
//!   (`dial ws URL: i/o timeout`, `errors.Is(err, net.ErrTimeout)`); an HTTP
//!   error is the cause alone, since http.vo adds its own `get "URL": `.
//! - The runner: [`next_ready`] resolves with the next Vo token whose call
//!   can be replayed, [`take_started`] lists the tokens that went pending
//!   since it was last asked, [`cancel`] abandons the call of a killed fiber
//!   and [`cancel_all`] every call when a VM run ends.
//!
//! Vo's crates are not published, so nothing here depends on them. What
//! Vo's effect manifest must allow is [`manifest_patch`].

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::task::{Poll, Waker};

use crate::externs::{self, task, Arg, Extern, ExternCall, ExternResult, Kind, SockAddr, Token, Value};
use crate::net::Error;

/// A Vo interface value (here always an `error`): its two stack slots.
pub type Iface = (u64, u64);

/// The part of Vo's `ExternCallContext` the externs use. Slots are Vo's:
/// argument `n` and result `n` count slots, and an `error` result takes
/// two (its interface pair), every other kind here one.
pub trait Call {
    /// The name of the extern being called, as the module declares it
    /// (`vo1:3:net:4:dial`); `None` if the module has no such extern.
    fn extern_name(&self) -> Option<&str>;
    /// An `int`, `int64` or `time.Duration` argument.
    fn arg_i64(&self, slot: u16) -> i64;
    /// A `string` argument; `None` when it is not UTF-8.
    fn arg_str(&self, slot: u16) -> Option<&str>;
    /// A `[]string` argument, each string's bytes (nil: empty).
    fn arg_strings(&self, slot: u16) -> Vec<Vec<u8>>;
    /// A `[]byte` argument's bytes (nil: empty).
    fn arg_bytes(&self, slot: u16) -> &[u8];
    /// The guest's own memory of a `[]byte` argument, for a read to fill in
    /// place; `None` when the slice is not one run of bytes (then the read
    /// fills a copy and [`Call::write_arg_bytes`] puts it back).
    fn arg_bytes_mut(&mut self, slot: u16) -> Option<&mut [u8]>;
    /// Writes `bytes` into a `[]byte` argument from its start.
    fn write_arg_bytes(&mut self, slot: u16, bytes: &[u8]);
    /// A one-slot result as its raw value (an int, or 0 for nil).
    fn ret_u64(&mut self, slot: u16, v: u64);
    /// A `string` result.
    fn ret_str(&mut self, slot: u16, s: &str);
    /// A `[]byte` result.
    fn ret_bytes(&mut self, slot: u16, b: &[u8]);
    /// A `[]string` result.
    fn ret_strings(&mut self, slot: u16, v: &[String]);
    /// A `[]IP` result (each IP a `[]byte`).
    fn ret_ips(&mut self, slot: u16, ips: &[Vec<u8>]);
    /// A `*TCPAddr` / `*UDPAddr` result (`type_name` is `net.TCPAddr` or
    /// `net.UDPAddr`): `{IP []byte; Port int; Zone string}`.
    fn ret_addr(&mut self, slot: u16, type_name: &str, addr: &SockAddr);
    /// A new `error` with this text, and `cause` as its cause (Vo's
    /// `create_error` / `create_error_with_cause`).
    fn new_error(&mut self, text: &str, cause: Option<Iface>) -> Iface;
    /// Vo's cached sentinel `index` of `package` (`net`, `http`, `io`).
    fn sentinel(&self, package: &str, index: usize) -> Option<Iface>;
    /// Caches a package's sentinels (what its `get*Errors()` returns).
    fn set_sentinels(&mut self, package: &'static str, errors: Vec<Iface>);
    /// On a replay, the token the call waited for (Vo's
    /// `take_resume_host_event_token`).
    fn take_resume_token(&mut self) -> Option<u64>;
    /// A fresh host event token (Vo's `try_next_host_event_token`).
    fn next_token(&self) -> Option<u64>;
}

/// What the provider returns to Vo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The results are written: Vo's `ExternResult::Ok`.
    Done,
    /// Vo's `ExternResult::HostEventWaitAndReplay { token, source }`, with
    /// `HostEventReplaySource::Fetch` as the source (the one vo-web's runner
    /// resolves host events of): resume the fiber when
    /// [`next_ready`] gives this token, and Vo replays the call.
    Wait(u64),
    /// Misuse of the extern (Vo's `ExternResult::Panic`): an extern this
    /// crate does not provide, a token it never issued.
    Panic(String),
}

impl Outcome {
    /// Vo's `ExternResult` for this outcome: `done`, `wait(token)` or
    /// `panic(message)`.
    pub fn fold<R>(self, done: R, wait: impl FnOnce(u64) -> R, panic: impl FnOnce(String) -> R) -> R {
        match self {
            Outcome::Done => done,
            Outcome::Wait(token) => wait(token),
            Outcome::Panic(message) => panic(message),
        }
    }
}

/// The extern of a name (any spelling), if this crate provides it;
/// [`Extern::may_wait`] tells which Vo effect its provider has.
pub use crate::externs::find;

/// Calls `register(id, name, may_wait)` for each declaration (in order, `id`
/// its position) of an extern this crate provides; `may_wait` says the
/// provider needs Vo's `ExternEffects::MAY_HOST_REPLAY`. Stops at the
/// first error.
pub fn register<'n, E>(
    declared: impl IntoIterator<Item = &'n str>,
    mut register: impl FnMut(u32, &'n str, bool) -> Result<(), E>,
) -> Result<(), E> {
    for (id, name) in declared.into_iter().enumerate() {
        if let (Some(ext), Ok(id)) = (find(name), u32::try_from(id)) {
            register(id, name, ext.may_wait())?;
        }
    }
    Ok(())
}

/// The one provider: runs the extern `ctx` is calling (see the module docs).
pub fn call<C: Call + ?Sized>(ctx: &mut C) -> Outcome {
    let ext = match ctx.extern_name() {
        None => return Outcome::Panic("runtime-wasm: the module declares no extern with this id".into()),
        Some(name) => match externs::find(name) {
            Some(ext) => ext,
            None => return Outcome::Panic(format!("runtime-wasm does not provide the extern {name}")),
        },
    };
    let resume_vo = ctx.take_resume_token();
    // Strings are copied first: a read's buffer borrows the context mutably.
    // A replay whose arguments fail here abandons its call.
    let fail = |ctx: &mut C, ext, e| {
        if let Some(vo) = resume_vo {
            cancel(vo);
        }
        fail(ctx, ext, e)
    };
    let mut texts: Vec<Option<String>> = Vec::with_capacity(ext.params.len());
    let mut lists: Vec<Vec<String>> = Vec::new();
    for (i, (pname, kind)) in ext.params.iter().enumerate() {
        let slot = i as u16;
        let bad = |what: &str| {
            Error::other(format!("{}.{}: argument {} ({pname}){what} is not valid UTF-8", ext.package, ext.name, i + 1))
        };
        match kind {
            Kind::Str => match ctx.arg_str(slot) {
                Some(s) => texts.push(Some(s.to_owned())),
                None => return fail(ctx, ext, bad("")),
            },
            Kind::Strings => {
                let mut l = Vec::new();
                for (j, b) in ctx.arg_strings(slot).into_iter().enumerate() {
                    match String::from_utf8(b) {
                        Ok(s) => l.push(s),
                        Err(_) => return fail(ctx, ext, bad(&format!(" element {j}"))),
                    }
                }
                lists.push(l);
                texts.push(None);
            }
            _ => texts.push(None),
        }
    }
    let resume = match resume_vo {
        None => None,
        Some(vo) => match TOKENS.with(|t| t.borrow_mut().resume(vo)) {
            Some(token) => Some(token),
            None => {
                return Outcome::Panic(format!(
                    "{}.{}: replayed with host event token {vo}, which runtime-wasm did not issue or has cancelled",
                    ext.package, ext.name
                ))
            }
        },
    };
    let ints: Vec<i64> = (0..ext.params.len()).map(|i| ctx.arg_i64(i as u16)).collect();
    let bytes_at = ext.params.iter().position(|(_, k)| *k == Kind::Bytes);
    // A read's destination that is not one run of memory: filled here, put back after.
    let mut scratch: Option<Vec<u8>> = match bytes_at {
        Some(i) if ext.fills_bytes() => {
            let whole = ctx.arg_bytes_mut(i as u16).is_some();
            (!whole).then(|| ctx.arg_bytes(i as u16).to_vec())
        }
        _ => None,
    };
    let result = {
        let mut lists = lists.iter();
        let mut args: Vec<Arg<'_>> = Vec::with_capacity(ext.params.len());
        let mut bytes_arg: Option<Arg<'_>> = None;
        if let Some(i) = bytes_at {
            bytes_arg = Some(match (&mut scratch, ext.fills_bytes()) {
                (Some(s), _) => Arg::Buf(s),
                (None, true) => match ctx.arg_bytes_mut(i as u16) {
                    Some(b) => Arg::Buf(b),
                    None => Arg::Nil,
                },
                (None, false) => Arg::Bytes(ctx.arg_bytes(i as u16)),
            });
        }
        for (i, (_, kind)) in ext.params.iter().enumerate() {
            args.push(match kind {
                Kind::Int | Kind::Int64 | Kind::Duration => Arg::Int(ints[i]),
                Kind::Str => Arg::Str(texts[i].as_deref().unwrap_or("")),
                Kind::Strings => Arg::Strings(lists.next().map(|l| l.iter().map(String::as_str).collect()).unwrap_or_default()),
                Kind::Bytes => bytes_arg.take().unwrap_or(Arg::Nil),
                _ => Arg::Nil,
            });
        }
        ext.call(ExternCall { args, resume })
    };
    if let (Some(s), Some(i)) = (&scratch, bytes_at) {
        ctx.write_arg_bytes(i as u16, s);
    }
    match result {
        ExternResult::Done(values) => {
            write_results(ctx, ext, values);
            Outcome::Done
        }
        ExternResult::Fail(e) => Outcome::Panic(e.0),
        ExternResult::Pending(token) => match ctx.next_token() {
            Some(vo) => {
                let owner = OWNER.with(Cell::get);
                TOKENS.with(|t| t.borrow_mut().wait(vo, token, owner));
                task::notify_when_done(token);
                Outcome::Wait(vo)
            }
            None => {
                externs::cancel(token);
                fail(ctx, ext, Error::other(format!("{}.{}: Vo's host event tokens are exhausted", ext.package, ext.name)))
            }
        },
    }
}

/// The extern's zero results with `e` as its error (or a panic when it
/// has no error result).
fn fail<C: Call + ?Sized>(ctx: &mut C, ext: &'static Extern, e: Error) -> Outcome {
    if !ext.results.contains(&Kind::Error) {
        return Outcome::Panic(e.to_string());
    }
    write_results(ctx, ext, ext.failed(e));
    Outcome::Done
}

fn write_results<C: Call + ?Sized>(ctx: &mut C, ext: &'static Extern, values: Vec<Value>) {
    let http = ext.package == "net/http";
    let mut slot = 0u16;
    for (kind, v) in ext.results.iter().zip(values) {
        match (kind, v) {
            (Kind::Error, v) => {
                let (a, b) = match v {
                    Value::Error(e) => error_value(ctx, http, e),
                    _ => (0, 0),
                };
                ctx.ret_u64(slot, a);
                ctx.ret_u64(slot + 1, b);
                slot += 2;
                continue;
            }
            (_, Value::Int(n)) => ctx.ret_u64(slot, n as u64),
            (Kind::Str, Value::Str(s)) => ctx.ret_str(slot, &s),
            (Kind::Str, _) => ctx.ret_str(slot, ""),
            (Kind::Bytes, Value::Bytes(b)) => ctx.ret_bytes(slot, &b),
            (Kind::Strings, Value::List(l)) => {
                let v: Vec<String> = l.into_iter().filter_map(|x| if let Value::Str(s) = x { Some(s) } else { None }).collect();
                ctx.ret_strings(slot, &v)
            }
            (Kind::IPs, Value::List(l)) => {
                let v: Vec<Vec<u8>> = l.into_iter().filter_map(|x| if let Value::Bytes(b) = x { Some(ip16(b)) } else { None }).collect();
                ctx.ret_ips(slot, &v)
            }
            (Kind::TCPAddr | Kind::UDPAddr, Value::Addr(mut a)) => {
                a.ip = ip16(a.ip);
                let name = if *kind == Kind::TCPAddr { "net.TCPAddr" } else { "net.UDPAddr" };
                ctx.ret_addr(slot, name, &a)
            }
            _ => ctx.ret_u64(slot, 0),
        }
        slot += 1;
    }
}

/// Vo's `net.IP` holds IPv4 as 16-byte IPv4-mapped, as its native
/// provider and `net.ParseIP` do (Vo's tests assert the length).
fn ip16(ip: Vec<u8>) -> Vec<u8> {
    match <[u8; 4]>::try_from(ip.as_slice()) {
        Ok(v4) => {
            let mut v = vec![0; 10];
            v.extend([0xff, 0xff]);
            v.extend(v4);
            v
        }
        Err(_) => ip,
    }
}


fn error_value<C: Call + ?Sized>(ctx: &mut C, http: bool, e: Error) -> Iface {
    // http.vo wraps the extern's error in its own url.Error.
    let e = match e {
        Error::Url(u) if http => *u.err,
        e => e,
    };
    if let Some((package, i)) = e.vo_sentinel() {
        return sentinel(ctx, package, i);
    }
    let text = e.to_string();
    match e.root().vo_sentinel() {
        // Vo's errors.Error prints "msg: cause", so the message is Go's text
        // without its cause's (`read ws A->B` + `i/o timeout`).
        Some((package, i)) => {
            let root = e.root().to_string();
            let msg = text.strip_suffix(&root).and_then(|m| m.strip_suffix(": ")).unwrap_or(&text);
            let cause = sentinel(ctx, package, i);
            ctx.new_error(msg, Some(cause))
        }
        None => ctx.new_error(&text, None),
    }
}

/// Vo's cached sentinel, caching `net`'s and `http`'s the way their
/// `get*Errors()` would when no one has asked yet. `io`'s list is Vo's
/// own: when a program never loaded `io`, EOF is a plain error (nothing
/// there can compare against `io.EOF`).
fn sentinel<C: Call + ?Sized>(ctx: &mut C, package: &'static str, i: usize) -> Iface {
    if let Some(v) = ctx.sentinel(package, i) {
        return v;
    }
    let list: Vec<Error> = match package {
        "net" => crate::net::NET_SENTINELS.to_vec(),
        "http" => vec![Error::RequestTimeout],
        _ => return ctx.new_error(if package == "io" { "EOF" } else { package }, None),
    };
    let values: Vec<Iface> = list.iter().map(|e| ctx.new_error(&e.to_string(), None)).collect();
    let v = values.get(i).copied();
    ctx.set_sentinels(package, values);
    v.unwrap_or((0, 0))
}

/// Vo tokens of calls waiting: the crate's token each stands for and the
/// VM it belongs to (its owner, 0 unless the host says otherwise), the
/// tokens ready per owner, and each owner's runner.
#[derive(Default)]
struct Tokens {
    by_vo: HashMap<u64, (Token, u64)>,
    by_task: HashMap<Token, u64>,
    started: Vec<u64>,
    ready: HashMap<u64, VecDeque<u64>>,
    runners: HashMap<u64, Waker>,
}

impl Tokens {
    fn wait(&mut self, vo: u64, token: Token, owner: u64) {
        self.by_vo.insert(vo, (token, owner));
        self.by_task.insert(token, vo);
        if self.started.len() >= externs::MAX_PENDING {
            let live = &self.by_vo;
            self.started.retain(|t| live.contains_key(t));
        }
        self.started.push(vo);
    }
    fn resume(&mut self, vo: u64) -> Option<Token> {
        let (token, owner) = self.by_vo.remove(&vo)?;
        self.by_task.remove(&token);
        if let Some(q) = self.ready.get_mut(&owner) {
            q.retain(|t| *t != vo);
            if q.is_empty() {
                self.ready.remove(&owner);
            }
        }
        Some(token)
    }
    /// A call is done: its Vo token goes to its owner's queue, and that
    /// owner's runner is woken (when it is not the one asking).
    fn route(&mut self, token: Token, asking: u64) {
        let Some(&vo) = self.by_task.get(&token) else { return };
        let Some(&(_, owner)) = self.by_vo.get(&vo) else { return };
        self.ready.entry(owner).or_default().push_back(vo);
        if owner != asking {
            if let Some(w) = self.runners.remove(&owner) {
                w.wake();
            }
        }
    }
}

thread_local! {
    static TOKENS: RefCell<Tokens> = RefCell::new(Tokens::default());
    static OWNER: Cell<u64> = const { Cell::new(0) };
}

/// Runs `f` (a VM's `run` or `run_scheduled`) with the calls it makes
/// belonging to `owner`: for a host that runs several VMs at once, each
/// waits with [`next_ready_of`] and ends with [`cancel_owner`]. A host with
/// one VM needs none of this (everything is owner 0).
pub fn with_owner<T>(owner: u64, f: impl FnOnce() -> T) -> T {
    struct Restore(u64);
    impl Drop for Restore {
        fn drop(&mut self) {
            OWNER.with(|o| o.set(self.0));
        }
    }
    let _restore = Restore(OWNER.with(|o| o.replace(owner)));
    f()
}

/// Resolves with the Vo token of the next waiting call that can be
/// replayed: wake its fiber (vo-web: `vm.wake_host_event` with the key of
/// `HostEventReplaySource::Fetch` and the token) and report it with [`woke`]. Never
/// resolves while nothing waits. For the VM of owner 0 (see [`with_owner`]).
pub fn next_ready() -> impl Future<Output = u64> {
    next_ready_of(0)
}

/// [`next_ready`] for the calls of `owner`'s VM; each VM's runner waits on
/// its own, and a token is given only to its owner.
pub fn next_ready_of(owner: u64) -> impl Future<Output = u64> {
    std::future::poll_fn(move |cx| {
        // Route every call that is done to its owner's queue.
        while let Poll::Ready(token) = task::next_done(cx) {
            TOKENS.with(|t| t.borrow_mut().route(token, owner));
        }
        TOKENS.with(|t| {
            let mut t = t.borrow_mut();
            if let Some(vo) = t.ready.get_mut(&owner).and_then(VecDeque::pop_front) {
                return Poll::Ready(vo);
            }
            t.runners.insert(owner, cx.waker().clone());
            Poll::Pending
        })
    })
}

/// The Vo tokens that went pending since this was last called, oldest
/// first (for a runner that tracks its waits; at most `MAX_PENDING` kept).
pub fn take_started() -> Vec<u64> {
    TOKENS.with(|t| {
        let mut t = t.borrow_mut();
        let live: Vec<u64> = t.started.drain(..).collect();
        live.into_iter().filter(|v| t.by_vo.contains_key(v)).collect()
    })
}

/// Abandons the call waiting on Vo token `token` (a killed fiber): the
/// browser operation is cancelled, nothing it read is lost. False if no
/// call waits on it.
pub fn cancel(token: u64) -> bool {
    match TOKENS.with(|t| t.borrow_mut().resume(token)) {
        Some(t) => externs::cancel(t),
        None => false,
    }
}

/// What the runner's wake of `token` did: `woke` false (no fiber waits on
/// it any more: it was killed) cancels its call. Returns `woke`.
pub fn woke(token: u64, woke: bool) -> bool {
    if !woke {
        cancel(token);
    }
    woke
}

/// Abandons every waiting call (the VM run ended; with several VMs, see
/// [`cancel_owner`]).
pub fn cancel_all() {
    let all: Vec<Token> = TOKENS.with(|t| {
        let mut t = t.borrow_mut();
        t.by_task.clear();
        t.started.clear();
        t.ready.clear();
        t.runners.clear();
        t.by_vo.drain().map(|(_, (k, _))| k).collect()
    });
    for t in all {
        externs::cancel(t);
    }
}

/// Abandons every waiting call of `owner`'s VM (its run ended).
pub fn cancel_owner(owner: u64) {
    let mine: Vec<u64> = TOKENS.with(|t| t.borrow().by_vo.iter().filter(|(_, (_, o))| *o == owner).map(|(vo, _)| *vo).collect());
    for vo in mine {
        cancel(vo);
    }
    TOKENS.with(|t| {
        let mut t = t.borrow_mut();
        t.ready.remove(&owner);
        t.runners.remove(&owner);
    });
}

/// Calls waiting on a Vo token.
pub fn pending() -> usize {
    TOKENS.with(|t| t.borrow().by_vo.len())
}

/// The entries Vo's effect manifest (`vo-stdlib/src/extern_manifest.rs`)
/// must allow for this crate's providers: every extern that may wait needs
/// `ExternEffects::MAY_HOST_REPLAY` (a provider registered with it fails to
/// load otherwise: `provider effects 0x10 exceed module allowed_effects`).
/// One line per extern Vo declares, as Rust to paste into the manifest.
pub fn manifest_patch() -> String {
    let mut out = String::new();
    let declared = |e: &Extern| !crate::http::ADDITIONS.contains(&e.name);
    for e in externs::all().filter(|e| e.may_wait() && declared(e)) {
        out.push_str(&format!(
            "ExternEffectManifestEntry::new(vo_runtime::vo_extern_name!({:?}, {:?}), {}),\n",
            e.package,
            e.name,
            if e.name == "nativeHttpsRequest" {
                "HTTP_REQUEST"
            } else if e.name.starts_with("blocking_") {
                "WAIT_IO.union(ExternEffects::MAY_HOST_REPLAY)"
            } else {
                "ExternEffects::MAY_HOST_REPLAY"
            }
        ));
    }
    out
}

/// The Vo web runtime's providers, expanded in the integrator's crate
/// (vo-web's `runtime-wasm`, which depends on Vo's `vo-runtime`): the [`Call`] implementation for Vo's
/// `ExternCallContext`, the one provider `fn` every extern is registered
/// with, and `pub fn register_externs(reg, defs)` in place of vo-web's
/// `net_http::register_externs`. The paths it names are Vo's (vo-lang/volang
/// at c7e9e522), resolved where it is expanded, so this crate does not
/// depend on Vo's (unpublished) crates; the test command compiles it
/// against a model of them (`tests/vo.rs`). Everything it defines but
/// `register_externs` stays in a private module; it re-exports the
/// runner's functions (`next_ready`, `woke`, `pending`, `cancel_all`,
/// `take_started`), so the runner's crate reaches them through it.
#[macro_export]
macro_rules! vo_provider {
    () => {
        mod runtime_wasm_vo {
            use vo_runtime::builtins::error_helper::{create_error, create_error_with_cause};
            use vo_runtime::bytecode::{ExternDef, ExternEffects};
            use vo_runtime::ffi::{
                ExternCallContext, ExternContractError, ExternRegistry, ExternResult, HostEventReplaySource,
                VoSlice, VoStringElem,
            };
            use vo_runtime::core_types::{ValueKind, ValueMeta};
            use vo_runtime::{gc::Gc, objects::slice};

            struct Cx<'c, 'a>(&'c mut ExternCallContext<'a>);

            impl $crate::vo::Call for Cx<'_, '_> {
                fn extern_name(&self) -> Option<&str> {
                    let defs = &self.0.module().externs;
                    defs.get(self.0.extern_id() as usize).map(|d| d.name.as_str())
                }
                fn arg_i64(&self, n: u16) -> i64 {
                    self.0.arg_i64(n)
                }
                fn arg_str(&self, n: u16) -> Option<&str> {
                    self.0.try_arg_str(n).ok()
                }
                fn arg_strings(&self, n: u16) -> Vec<Vec<u8>> {
                    let s = self.0.arg_ref(n);
                    if s.is_null() {
                        return Vec::new();
                    }
                    // SAFETY: Vo checked the argument is a live []string.
                    unsafe { VoSlice::<VoStringElem>::from_ref(s) }.cursor().map(|(_, b)| b).collect()
                }
                fn arg_bytes(&self, n: u16) -> &[u8] {
                    self.0.arg_bytes(n)
                }
                fn arg_bytes_mut(&mut self, n: u16) -> Option<&mut [u8]> {
                    let s = self.0.arg_ref(n);
                    // SAFETY: a live []byte argument, rooted for the call; its
                    // bytes are one run unless it uses flat slot storage.
                    unsafe {
                        (!s.is_null() && !slice::uses_flat_slot_storage(s))
                            .then(|| std::slice::from_raw_parts_mut(slice::data_ptr(s), slice::len(s)))
                    }
                }
                fn write_arg_bytes(&mut self, n: u16, b: &[u8]) {
                    let s = self.0.arg_ref(n);
                    if !s.is_null() {
                        // SAFETY: a live []byte argument; write_bytes handles both storages.
                        unsafe { slice::write_bytes(s, b) }
                    }
                }
                fn ret_u64(&mut self, n: u16, v: u64) {
                    self.0.ret_u64(n, v)
                }
                fn ret_str(&mut self, n: u16, s: &str) {
                    self.0.ret_str(n, s)
                }
                fn ret_bytes(&mut self, n: u16, b: &[u8]) {
                    self.0.ret_bytes(n, b)
                }
                fn ret_strings(&mut self, n: u16, v: &[String]) {
                    self.0.ret_string_slice(n, v)
                }
                fn ret_ips(&mut self, n: u16, ips: &[Vec<u8>]) {
                    // As vo-stdlib's alloc_ip_slice: a slice of byte slices.
                    let s = self.0.alloc_slice(ValueMeta::new(0, ValueKind::Slice), 8, ips.len());
                    for (i, ip) in ips.iter().enumerate() {
                        let b = self.0.alloc_bytes(ip);
                        // SAFETY: `s` is the fresh slice of ips.len() references above.
                        unsafe { slice::set(s, i, b as u64, 8) }
                    }
                    // SAFETY: `s` is a live slice.
                    let owner = unsafe { slice::owner_ref(s) };
                    self.0.gc().mark_allocated_for_scan(owner);
                    self.0.ret_ref(n, s)
                }
                fn ret_addr(&mut self, n: u16, ty: &str, a: &$crate::externs::SockAddr) {
                    // As vo-stdlib's alloc_socket_addr: {IP []byte; Port int; Zone string}.
                    let (ip, zone) = (self.0.alloc_bytes(&a.ip), self.0.alloc_str(&a.zone));
                    let st = self.0.gc_alloc_struct(ty);
                    // SAFETY: `st` is the fresh three-slot struct above.
                    unsafe {
                        Gc::write_slot(st, 0, ip as u64);
                        Gc::write_slot(st, 1, a.port as u64);
                        Gc::write_slot(st, 2, zone as u64);
                    }
                    self.0.gc().mark_allocated_for_scan(st);
                    self.0.ret_ref(n, st)
                }
                fn new_error(&mut self, text: &str, cause: Option<(u64, u64)>) -> (u64, u64) {
                    match cause {
                        Some((a, b)) => create_error_with_cause(self.0, text, a, b),
                        None => create_error(self.0, text),
                    }
                }
                fn sentinel(&self, pkg: &str, i: usize) -> Option<(u64, u64)> {
                    self.0.sentinel_errors().get_one(pkg, i)
                }
                fn set_sentinels(&mut self, pkg: &'static str, errors: Vec<(u64, u64)>) {
                    self.0.sentinel_errors_mut().insert(pkg, errors)
                }
                fn take_resume_token(&mut self) -> Option<u64> {
                    self.0.take_resume_host_event_token()
                }
                fn next_token(&self) -> Option<u64> {
                    self.0.try_next_host_event_token()
                }
            }

            fn provide(call: &mut ExternCallContext) -> ExternResult {
                let wait = |token| ExternResult::HostEventWaitAndReplay { token, source: HostEventReplaySource::Fetch };
                $crate::vo::call(&mut Cx(call)).fold(ExternResult::Ok, wait, ExternResult::Panic)
            }

            /// Registers the one provider for every net and net/http extern
            /// `defs` declares, with the effects each needs.
            pub fn register_externs(reg: &mut ExternRegistry, defs: &[ExternDef]) -> Result<(), ExternContractError> {
                $crate::vo::register(defs.iter().map(|d| d.name.as_str()), |id, name, waits| {
                    let effects = if waits { ExternEffects::MAY_HOST_REPLAY } else { ExternEffects::NONE };
                    reg.try_register_wasm_host_with_effects(id, name, provide, effects)
                })
            }
        }
        pub use runtime_wasm_vo::register_externs;
        // For the runner (vo-web's async_runner.rs, a crate that need not
        // depend on this one itself).
        pub use $crate::vo::{cancel_all, cancel_owner, next_ready, next_ready_of, pending, take_started, with_owner, woke};
    };
}
