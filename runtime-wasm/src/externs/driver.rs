//! One extern: its descriptor (`Extern`: package, name, Vo's signature,
//! its implementation) and the driver of a call (`Extern::call`: check the
//! arguments, run, hand a pending future to `task`, collect on replay).

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use super::task;
use super::value::{Arg, Args, Kind, Value};
use super::name::canonical_name;
use super::Token;
use crate::net::Error;

/// Misuse of the extern layer by the host: never a Go error, never a panic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternError(pub String);

impl fmt::Display for ExternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ExternError {}

/// One invocation: the arguments, and on a replay the token of the wait.
#[derive(Debug, Default)]
pub struct ExternCall<'a> {
    /// The arguments in declaration order.
    pub args: Vec<Arg<'a>>,
    /// On a replay, the token of the wait that ended.
    pub resume: Option<Token>,
}

impl<'a> ExternCall<'a> {
    /// A first call with these arguments.
    pub fn new(args: Vec<Arg<'a>>) -> ExternCall<'a> {
        ExternCall { args, resume: None }
    }
    /// The call again, with the same arguments, after `token`'s wait ended
    /// (Vo's `take_resume_host_event_token()` returning `Some(token)`).
    pub fn replay(args: Vec<Arg<'a>>, token: Token) -> ExternCall<'a> {
        ExternCall {
            args,
            resume: Some(token),
        }
    }
}

/// What an invocation gives the host.
#[derive(Debug)]
pub enum ExternResult {
    /// The Go results, in order.
    Done(Vec<Value>),
    /// Wait for the token, then replay the call with the same arguments
    /// (Vo's `HostEventWaitAndReplay`).
    Pending(Token),
    /// The call itself was wrong (a missing or mistyped argument): a host error, not a Go error.
    Fail(ExternError),
}


/// Results of these kinds for a failed call: zero values, `e` in the
/// (first) error slot.
pub fn failed_results(kinds: &[Kind], e: Error) -> Vec<Value> {
    let mut e = Some(e);
    kinds
        .iter()
        .map(|k| match k {
            Kind::Error => Value::err(e.take()),
            k => Value::zero(*k),
        })
        .collect()
}

/// What a waiting extern's future ends with.
#[derive(Debug)]
pub enum Resume {
    /// The Go results: the replay collects them.
    Results(Vec<Value>),
    /// Ready for another attempt: the replay runs the extern again, passing
    /// this state (a read: 0; a write: the bytes sent so far).
    Retry(u64),
}

/// The future a waiting extern hands over.
pub type ExternFuture = Pin<Box<dyn Future<Output = Resume>>>;

/// What one attempt of a waiting extern gives.
pub enum Step {
    /// The results, at once.
    Done(Vec<Value>),
    /// Wait for this future, then replay.
    Wait(ExternFuture),
}

/// `Step::Wait` of a future that ends with the results.
pub fn results(f: impl Future<Output = Vec<Value>> + 'static) -> Step {
    Step::Wait(Box::pin(async move { Resume::Results(f.await) }))
}

/// Go's `error` result kind, named so it reads apart from `net::Error`.
pub const ERROR: Kind = Kind::Error;

#[derive(Clone, Copy)]
enum Imp {
    /// Answers at once.
    Now(fn(&mut Args<'_, '_>) -> Vec<Value>),
    /// May wait; called again on replay with the state of `Resume::Retry`.
    Wait(fn(&mut Args<'_, '_>, Option<u64>) -> Step),
}

/// One extern: its package and function, its Vo signature and its
/// implementation. `'static` and `Copy`, so a registry can keep them.
#[derive(Clone, Copy)]
pub struct Extern {
    /// The package path: "net", "net/http".
    pub package: &'static str,
    /// The function as Vo declares it: "dial", "blocking_tcpConnRead".
    pub name: &'static str,
    /// The Go API it serves, e.g. `net.Conn.Read (TCPConn)`.
    pub go: &'static str,
    /// The parameters as Vo declares them: (name, kind).
    pub params: &'static [(&'static str, Kind)],
    /// The result kinds, in order.
    pub results: &'static [Kind],
    imp: Imp,
}

impl fmt::Debug for Extern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.package, self.signature())
    }
}

impl Extern {
    /// Can a call wait (answer `Pending` / `HostEventWaitAndReplay`)?
    pub const fn may_wait(&self) -> bool {
        matches!(self.imp, Imp::Wait(_))
    }

    /// An extern that answers at once.
    pub const fn now(
        package: &'static str,
        name: &'static str,
        go: &'static str,
        params: &'static [(&'static str, Kind)],
        results: &'static [Kind],
        f: fn(&mut Args<'_, '_>) -> Vec<Value>,
    ) -> Extern {
        Extern {
            package,
            name,
            go,
            params,
            results,
            imp: Imp::Now(f),
        }
    }

    /// An extern that may wait (see the module docs).
    pub const fn wait(
        package: &'static str,
        name: &'static str,
        go: &'static str,
        params: &'static [(&'static str, Kind)],
        results: &'static [Kind],
        f: fn(&mut Args<'_, '_>, Option<u64>) -> Step,
    ) -> Extern {
        Extern {
            package,
            name,
            go,
            params,
            results,
            imp: Imp::Wait(f),
        }
    }

    /// Whether a call fills its `[]byte` argument (the reads), rather than
    /// only reading it: a VM whose slice is not one run of memory copies it
    /// back after such a call (`crate::vo` does).
    pub fn fills_bytes(&self) -> bool {
        matches!(
            self.name,
            "blocking_tcpConnRead" | "blocking_udpConnReadFrom" | "blocking_unixConnRead" | "blocking_responseBodyRead"
        )
    }

    /// Vo's canonical name: `vo1:3:net:4:dial`.
    pub fn canonical_name(&self) -> String {
        canonical_name(self.package, self.name)
    }

    /// The declaration as Vo writes it, parameters of one type grouped:
    /// `dial(network, address string, timeout time.Duration) (int, error)`.
    pub fn signature(&self) -> String {
        let mut params = String::new();
        for (i, (n, k)) in self.params.iter().enumerate() {
            if i > 0 {
                params.push_str(", ");
            }
            params.push_str(n);
            if self.params.get(i + 1).is_none_or(|(_, next)| next != k) {
                params.push(' ');
                params.push_str(k.go_type());
            }
        }
        let results: Vec<&str> = self.results.iter().map(|k| k.go_type()).collect();
        let results = match results.len() {
            0 => String::new(),
            1 => format!(" {}", results[0]),
            _ => format!(" ({})", results.join(", ")),
        };
        format!("{}({params}){results}", self.name)
    }

    /// The results of a failed call: zero values and `e` in the error slot.
    pub fn failed(&self, e: Error) -> Vec<Value> {
        failed_results(self.results, e)
    }

    fn check(&self, args: &[Arg<'_>]) -> Result<(), ExternError> {
        if args.len() != self.params.len() {
            return Err(ExternError(format!(
                "{}.{}: want {} argument(s), got {} (signature: {})",
                self.package,
                self.name,
                self.params.len(),
                args.len(),
                self.signature()
            )));
        }
        for (i, ((pname, kind), a)) in self.params.iter().zip(args).enumerate() {
            if !kind.admits(a) {
                return Err(ExternError(format!(
                    "{}.{}: argument {} ({pname}) must be {}, got {}",
                    self.package,
                    self.name,
                    i + 1,
                    kind.go_type(),
                    a.type_name()
                )));
            }
        }
        Ok(())
    }

    /// Invokes the extern (see the module docs for the replay model).
    pub fn call(&'static self, mut call: ExternCall<'_>) -> ExternResult {
        if let Err(e) = self.check(&call.args) {
            return ExternResult::Fail(e);
        }
        let mut retry = None;
        if let Some(token) = call.resume {
            match task::take(token, self) {
                Ok(None) => return ExternResult::Pending(token),
                Ok(Some(Resume::Results(values))) => return ExternResult::Done(values),
                Ok(Some(Resume::Retry(state))) => retry = Some(state),
                Err(e) => return ExternResult::Fail(e),
            }
        }
        let mut args = Args(&mut call.args);
        let f = match self.imp {
            Imp::Now(f) => return ExternResult::Done(f(&mut args)),
            Imp::Wait(f) => f,
        };
        if call.resume.is_none() && task::pending_count() >= task::MAX_PENDING {
            let e = crate::net::Error::other(format!(
                "{}.{}: {} extern calls are pending or uncollected; replay or cancel some",
                self.package,
                self.name,
                task::MAX_PENDING
            ));
            return if self.results.contains(&Kind::Error) {
                ExternResult::Done(failed_results(self.results, e))
            } else {
                ExternResult::Fail(ExternError(e.to_string()))
            };
        }
        // A wait that is over at once (data arrived meanwhile) is retried
        // here; should that keep happening, the host gets a token that is
        // ready after one turn of its loop, so this never spins.
        for _ in 0..4 {
            let fut = match f(&mut args, retry) {
                Step::Done(values) => return ExternResult::Done(values),
                Step::Wait(fut) => fut,
            };
            match task::spawn(self, fut) {
                Ok(Resume::Results(values)) => return ExternResult::Done(values),
                Ok(Resume::Retry(state)) => retry = Some(state),
                Err(token) => return ExternResult::Pending(token),
            }
        }
        ExternResult::Pending(task::spawn_ready(self, Resume::Retry(retry.unwrap_or(0))))
    }
}

