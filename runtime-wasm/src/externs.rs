//! The extern layer a browser-hosted VM links: Go-shaped functions by name
//! (`net_dial`, `net_http_requestPerform`, ...), taking and returning
//! [`Value`]s, that never block the page.
//!
//! The completion model is the Vo runtime's: an extern that must wait
//! returns [`ExternResult::Pending`] with a token; the host loop waits for
//! it ([`wait`], or [`is_ready`] from a poll loop, or `externWait` in JS),
//! wakes the VM, and re-invokes the same extern with
//! [`ExternCall::resume`], which collects the result. [`call`] runs that
//! loop for a VM written in async Rust; `callExtern(name, args)` in
//! `js_api` does it for a VM written in JS.
//!
//! Go errors are results (`Value::Error`), as in Go. Misuse by the host (an
//! unknown name, a wrong argument count or type, a stale token) is an
//! [`ExternError`], which a VM should raise as a panic in the guest.
//!
//! The tables live next to what they wrap: `net::externs`, `http::externs`.

mod task;

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::net::Error;

pub use task::{cancel, is_ready, pending_count, run_ready, wait, Token};

/// A value crossing between a VM and an extern. Handles (a Conn, a
/// request) are `Int`s; a Go `error` is `Nil` or `Error`.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Nil,
    Bool(bool),
    Int(i64),
    Str(String),
    Bytes(Vec<u8>),
    List(Vec<Value>),
    Error(Error),
}

impl Value {
    fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Str(_) => "string",
            Value::Bytes(_) => "[]byte",
            Value::List(_) => "list",
            Value::Error(_) => "error",
        }
    }

    /// A Go `error` result: `Nil` or the error.
    pub fn err(e: Option<Error>) -> Value {
        e.map_or(Value::Nil, Value::Error)
    }

    /// A Go `[]string` result.
    pub fn strings(v: impl IntoIterator<Item = String>) -> Value {
        Value::List(v.into_iter().map(Value::Str).collect())
    }
}

/// The Go type of a parameter or result, for checking arguments and for the
/// README's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Int,
    Str,
    Bytes,
    /// `[]string`
    Strings,
    /// `[][]byte`
    BytesList,
    /// `error`: `Nil` or `Error`
    Error,
}

impl Kind {
    pub fn go_type(self) -> &'static str {
        match self {
            Kind::Bool => "bool",
            Kind::Int => "int",
            Kind::Str => "string",
            Kind::Bytes => "[]byte",
            Kind::Strings => "[]string",
            Kind::BytesList => "[][]byte",
            Kind::Error => "error",
        }
    }

    /// Whether `v` may be passed for this kind (Go's nil slice is allowed
    /// for slices, an error or nil for `error`).
    fn admits(self, v: &Value) -> bool {
        let all = |items: &[Value], f: fn(&Value) -> bool| items.iter().all(f);
        match (self, v) {
            (Kind::Bool, Value::Bool(_))
            | (Kind::Int, Value::Int(_))
            | (Kind::Str, Value::Str(_)) => true,
            (Kind::Bytes | Kind::Strings | Kind::BytesList, Value::Nil) => true,
            (Kind::Bytes, Value::Bytes(_)) => true,
            (Kind::Strings, Value::List(l)) => all(l, |x| matches!(x, Value::Str(_))),
            (Kind::BytesList, Value::List(l)) => all(l, |x| matches!(x, Value::Bytes(_))),
            (Kind::Error, Value::Nil | Value::Error(_)) => true,
            _ => false,
        }
    }
}

/// Misuse of the extern layer by the host: never a Go error, never a panic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternError(pub String);

impl fmt::Display for ExternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ExternError {}

/// One invocation: the arguments, or the token of the call being resumed.
#[derive(Debug, Default)]
pub struct ExternCall {
    pub args: Vec<Value>,
    pub resume: Option<Token>,
}

impl ExternCall {
    pub fn new(args: Vec<Value>) -> ExternCall {
        ExternCall { args, resume: None }
    }
    /// The re-invocation that collects the result of a pending call.
    pub fn resume(token: Token) -> ExternCall {
        ExternCall {
            args: Vec::new(),
            resume: Some(token),
        }
    }
}

/// What an invocation gives the host.
#[derive(Debug)]
pub enum ExternResult {
    /// The Go results, in order.
    Done(Vec<Value>),
    /// Wait for the token, then re-invoke with `ExternCall::resume(token)`.
    Pending(Token),
    Fail(ExternError),
}

/// Checked arguments, taken by position (the checks ran first, so the
/// accessors cannot see the wrong type; they fall back to zero values).
#[derive(Debug)]
pub struct Args(Vec<Value>);

impl Args {
    fn take(&mut self, i: usize) -> Value {
        self.0.get_mut(i).map(std::mem::take).unwrap_or_default()
    }
    pub fn int(&self, i: usize) -> i64 {
        match self.0.get(i) {
            Some(Value::Int(n)) => *n,
            _ => 0,
        }
    }
    /// A read size: the int at `i`, clamped to 0..=MAX_READ_BYTES.
    pub fn read_max(&self, i: usize) -> usize {
        self.int(i).clamp(0, MAX_READ_BYTES as i64) as usize
    }
    pub fn str(&self, i: usize) -> &str {
        match self.0.get(i) {
            Some(Value::Str(s)) => s,
            _ => "",
        }
    }
    pub fn bytes(&mut self, i: usize) -> Vec<u8> {
        match self.take(i) {
            Value::Bytes(b) => b,
            _ => Vec::new(),
        }
    }
    pub fn strings(&mut self, i: usize) -> Vec<String> {
        match self.take(i) {
            Value::List(l) => l
                .into_iter()
                .filter_map(|v| match v {
                    Value::Str(s) => Some(s),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// The future an async extern returns.
pub type ExternFuture = Pin<Box<dyn Future<Output = Vec<Value>>>>;

/// An async extern's body as an `ExternFuture`.
pub fn boxed(f: impl Future<Output = Vec<Value>> + 'static) -> ExternFuture {
    Box::pin(f)
}

/// Go's `error` result kind, named so it reads apart from `net::Error`.
pub const ERROR: Kind = Kind::Error;

/// Go's Read may return fewer bytes than asked: one read extern hands over
/// at most this much, however large the VM's buffer.
pub const MAX_READ_BYTES: usize = 1 << 20;

#[derive(Clone, Copy)]
enum Imp {
    Now(fn(Args) -> Vec<Value>),
    Wait(fn(Args) -> ExternFuture),
}

/// One extern: its name, the Go function it stands for, its signature and
/// its implementation. `'static` and `Copy`, so a registry can keep them.
#[derive(Clone, Copy)]
pub struct Extern {
    pub name: &'static str,
    /// The Go API this extern implements, e.g. `net.Dial`.
    pub go: &'static str,
    pub params: &'static [(&'static str, Kind)],
    pub results: &'static [Kind],
    imp: Imp,
}

impl fmt::Debug for Extern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.signature())
    }
}

impl Extern {
    /// An extern that answers at once.
    pub const fn now(
        name: &'static str,
        go: &'static str,
        params: &'static [(&'static str, Kind)],
        results: &'static [Kind],
        f: fn(Args) -> Vec<Value>,
    ) -> Extern {
        Extern {
            name,
            go,
            params,
            results,
            imp: Imp::Now(f),
        }
    }

    /// An extern that may wait: its future runs until done; if it does not
    /// finish on its first poll the caller gets a pending token.
    pub const fn wait(
        name: &'static str,
        go: &'static str,
        params: &'static [(&'static str, Kind)],
        results: &'static [Kind],
        f: fn(Args) -> ExternFuture,
    ) -> Extern {
        Extern {
            name,
            go,
            params,
            results,
            imp: Imp::Wait(f),
        }
    }

    /// Whether this extern can return a pending token.
    pub fn can_wait(&self) -> bool {
        matches!(self.imp, Imp::Wait(_))
    }

    /// `name(a string, b int) (int, error)`, Go style.
    pub fn signature(&self) -> String {
        let params: Vec<String> = self
            .params
            .iter()
            .map(|(n, k)| format!("{n} {}", k.go_type()))
            .collect();
        let results: Vec<&str> = self.results.iter().map(|k| k.go_type()).collect();
        let results = match results.len() {
            0 => String::new(),
            1 => format!(" {}", results[0]),
            _ => format!(" ({})", results.join(", ")),
        };
        format!("{}({}){results}", self.name, params.join(", "))
    }

    fn check(&self, args: &[Value]) -> Result<(), ExternError> {
        if args.len() != self.params.len() {
            return Err(ExternError(format!(
                "{}: want {} argument(s), got {} (signature: {})",
                self.name,
                self.params.len(),
                args.len(),
                self.signature()
            )));
        }
        for (i, ((pname, kind), v)) in self.params.iter().zip(args).enumerate() {
            if !kind.admits(v) {
                return Err(ExternError(format!(
                    "{}: argument {} ({pname}) must be {}, got {}",
                    self.name,
                    i + 1,
                    kind.go_type(),
                    v.type_name()
                )));
            }
        }
        Ok(())
    }

    /// Invokes the extern (see the module docs for the pending model).
    pub fn call(&self, call: ExternCall) -> ExternResult {
        if let Some(token) = call.resume {
            return match task::take(token, self.name) {
                Ok(Some(values)) => ExternResult::Done(values),
                Ok(None) => ExternResult::Pending(token),
                Err(e) => ExternResult::Fail(e),
            };
        }
        if let Err(e) = self.check(&call.args) {
            return ExternResult::Fail(e);
        }
        let args = Args(call.args);
        match self.imp {
            Imp::Now(f) => ExternResult::Done(f(args)),
            Imp::Wait(f) => match task::spawn(self.name, f(args)) {
                Ok(values) => ExternResult::Done(values),
                Err(token) => ExternResult::Pending(token),
            },
        }
    }
}

/// Where a VM keeps its externs. `id` is the position of the name in the
/// module's declaration list (how Vo numbers externs).
pub trait ExternRegistry {
    fn register(&mut self, id: usize, ext: &'static Extern);
}

/// A ready-made registry: by declaration id and by name.
#[derive(Debug, Default)]
pub struct Registry {
    by_id: Vec<Option<&'static Extern>>,
}

impl Registry {
    pub fn new() -> Registry {
        Registry::default()
    }
    pub fn by_id(&self, id: usize) -> Option<&'static Extern> {
        self.by_id.get(id).copied().flatten()
    }
    pub fn get(&self, name: &str) -> Option<&'static Extern> {
        self.by_id
            .iter()
            .flatten()
            .find(|e| e.name == name)
            .copied()
    }
    pub fn len(&self) -> usize {
        self.by_id.iter().flatten().count()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl ExternRegistry for Registry {
    fn register(&mut self, id: usize, ext: &'static Extern) {
        if self.by_id.len() <= id {
            self.by_id.resize(id + 1, None);
        }
        self.by_id[id] = Some(ext);
    }
}

/// Names a package's `register_externs` was given that belong to it but
/// that this crate does not provide. The ones it knows were registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterError {
    pub package: &'static str,
    pub unknown: Vec<String>,
}

impl fmt::Display for RegisterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: the module declares {} extern(s) this version of runtime-wasm does not provide: {}",
            self.package,
            self.unknown.len(),
            self.unknown.join(", ")
        )
    }
}

impl std::error::Error for RegisterError {}

/// Registers, for each declared name that `owns` claims, the extern of that
/// name from `table`; names of other packages are left alone. Returns how
/// many were registered. `net::register_externs` and
/// `http::register_externs` are this with their tables; a runtime can use
/// it for its own tables of `Extern`s too.
pub fn register_table<R: ExternRegistry + ?Sized, S: AsRef<str>>(
    package: &'static str,
    table: &'static [Extern],
    owns: fn(&str) -> bool,
    registry: &mut R,
    declared: &[S],
) -> Result<usize, RegisterError> {
    let mut unknown = Vec::new();
    let mut count = 0;
    for (id, name) in declared.iter().enumerate() {
        let name = name.as_ref();
        if !owns(name) {
            continue;
        }
        match table.iter().find(|e| e.name == name) {
            Some(ext) => {
                registry.register(id, ext);
                count += 1;
            }
            None => unknown.push(name.to_string()),
        }
    }
    if unknown.is_empty() {
        Ok(count)
    } else {
        Err(RegisterError { package, unknown })
    }
}

/// Runs an extern to completion: invoke, wait while pending, resume. For a
/// VM written in async Rust. Dropping the future cancels a pending call.
pub async fn call(ext: &Extern, args: Vec<Value>) -> Result<Vec<Value>, ExternError> {
    let mut result = ext.call(ExternCall::new(args));
    loop {
        match result {
            ExternResult::Done(values) => return Ok(values),
            ExternResult::Fail(e) => return Err(e),
            ExternResult::Pending(token) => {
                let guard = CancelOnDrop(token);
                wait(token).await;
                std::mem::forget(guard);
                result = ext.call(ExternCall::resume(token));
            }
        }
    }
}

struct CancelOnDrop(Token);
impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        cancel(self.0);
    }
}

/// Every extern this crate provides (net's, then net/http's).
#[cfg(target_arch = "wasm32")]
pub fn all() -> impl Iterator<Item = &'static Extern> {
    crate::net::EXTERNS
        .iter()
        .chain(crate::http::EXTERNS.iter())
}

/// The extern of that name, if this crate provides it.
#[cfg(target_arch = "wasm32")]
pub fn find(name: &str) -> Option<&'static Extern> {
    all().find(|e| e.name == name)
}
