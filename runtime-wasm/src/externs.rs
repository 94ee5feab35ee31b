//! The extern layer a browser-hosted VM links: the functions Vo's `net` and
//! `net/http` packages declare (`net.dial`, `net.blocking_tcpConnRead`,
//! `net/http.nativeHttpsRequest`, ...), with Vo's exact parameter and
//! result types, that never block the page.
//!
//! **Identity.** An extern is the pair (package path, function). A VM may
//! name it in Vo's canonical encoding (`vo1:3:net:4:dial`), the older flat
//! form (`net_dial`, `net_http_nativeHttpsRequest`) or as a plain pair
//! (`("net", "dial")`, or the string `net.dial`): see [`ExternName`].
//! Registration is by declaration index, as Vo's registry works.
//!
//! **Arguments are borrowed** ([`Arg`]): a `[]byte` is the guest's own
//! slice. `blocking_tcpConnRead(handle, b)` fills `b` in place (one copy
//! from the browser's chunk into guest memory) and a write sends from `b`.
//!
//! **Waiting is Vo's replay model.** An extern that cannot finish at once
//! returns [`ExternResult::Pending`] with a token; the host waits for it
//! ([`wait`], or [`is_ready`] from a poll loop, or `externWait` in JS), then
//! calls the same extern again with the same arguments and the token
//! ([`ExternCall::replay`]) to collect. Reads follow Go's poller: take
//! queued bytes straight into the destination; only when nothing is
//! queued, wait for readiness, and on replay try again. [`call`] runs that
//! loop for a VM written in async Rust; `callExtern` in `js_api` for one
//! written in JS.
//!
//! Go errors are results (`Value::Error`), Go's whole errors; one that is
//! or ends in one of Vo's sentinels says which (`Error::vo_sentinel`, on
//! the error or its `root()`), so a VM hands back its cached value or wraps
//! it as the cause (`crate::vo` does both). Misuse by the host (an unknown name, a wrong
//! argument count or type, a stale token) is an [`ExternError`], which a VM
//! should raise as a panic in the guest.
//!
//! The tables live next to what they wrap: `net::externs`, `http::externs`.
//! This module is laid out by concern: `value` (what crosses: arguments,
//! results, kinds), `driver` (one extern: its descriptor and the
//! invoke/wait/replay driver), `task` (pending calls by token), `name`
//! (the spellings of an extern's identity), `registry` (registration by
//! declaration id) and `adapter` (the async loop for a Rust VM).

mod adapter;
mod driver;
mod name;
mod registry;
pub(crate) mod task;
mod value;

pub use adapter::{call, reborrow};
pub use driver::{failed_results, results, Extern, ExternCall, ExternError, ExternFuture, ExternResult, Resume, Step, ERROR};
pub use name::{canonical_name, Declared, ExternName};
pub use registry::{all, find, register_all, register_table, ExternRegistry, RegisterError, Registry};
pub use crate::task::run_ready;
pub use task::{cancel, is_ready, on_done, pending_count, wait, OnDone, Token, MAX_PENDING, MAX_WAITERS};
#[cfg(target_arch = "wasm32")]
pub use value::JsBytes;
pub use value::{args_of, Arg, Args, Data, Dest, Kind, SockAddr, Value};

