//! The async adapter: a VM written in async Rust runs an extern to
//! completion (invoke, wait, replay) with one `.await`.

use super::driver::{Extern, ExternCall, ExternError, ExternResult};
use super::task::{cancel, wait};
use super::value::{Arg, Value};
use super::Token;

/// Runs an extern to completion: invoke, wait while pending, replay. For a
/// VM written in async Rust. Dropping the future cancels a pending call.
/// The arguments are borrowed for the whole call (a read fills its `Buf`).
pub async fn call(ext: &'static Extern, args: &mut [Arg<'_>]) -> Result<Vec<Value>, ExternError> {
    let mut resume = None;
    loop {
        let call = ExternCall {
            args: reborrow(args),
            resume,
        };
        match ext.call(call) {
            ExternResult::Done(values) => return Ok(values),
            ExternResult::Fail(e) => return Err(e),
            ExternResult::Pending(token) => {
                let guard = CancelOnDrop(token);
                wait(token).await;
                std::mem::forget(guard);
                resume = Some(token);
            }
        }
    }
}

/// The same arguments again, for a replay.
pub fn reborrow<'s>(args: &'s mut [Arg<'_>]) -> Vec<Arg<'s>> {
    args.iter_mut()
        .map(|a| match a {
            Arg::Nil => Arg::Nil,
            Arg::Int(n) => Arg::Int(*n),
            Arg::Str(s) => Arg::Str(s),
            Arg::Bytes(b) => Arg::Bytes(b),
            Arg::Buf(b) => Arg::Buf(b),
            Arg::Strings(l) => Arg::Strings(l.clone()),
            #[cfg(target_arch = "wasm32")]
            Arg::Js(a) => Arg::Js(a.clone()),
        })
        .collect()
}

struct CancelOnDrop(Token);
impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        cancel(self.0);
    }
}

