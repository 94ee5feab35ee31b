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
//! Go errors are results (`Value::Error`). A failure that is one of Vo's
//! sentinels (`getNetErrors()`, `getHttpErrors()`) is returned as that bare
//! value, so a VM can hand back its cached sentinel (see
//! `Error::vo_sentinel`). Misuse by the host (an unknown name, a wrong
//! argument count or type, a stale token) is an [`ExternError`], which a VM
//! should raise as a panic in the guest.
//!
//! The tables live next to what they wrap: `net::externs`, `http::externs`.

pub(crate) mod task;

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::net::Error;

pub use task::{cancel, is_ready, pending_count, run_ready, wait, Token, MAX_PENDING, MAX_WAITERS};

/// A result crossing from an extern to the VM. Handles (a Conn, a request)
/// are `Int`s; a Go `error` is `Nil` or `Error`.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    /// Go's nil: a nil error, pointer or slice.
    Nil,
    /// `int`, `int64`, a handle, a count.
    Int(i64),
    /// `string`.
    Str(String),
    /// `[]byte`.
    Bytes(Vec<u8>),
    /// `[]string` (of `Str`) or `[]IP` (of `Bytes`).
    List(Vec<Value>),
    /// A Go `error`: one of this crate's errors (sentinels keep their identity).
    Error(Error),
    /// `*TCPAddr` / `*UDPAddr`: `{IP []byte; Port int; Zone string}`
    /// (`Nil` is the nil pointer).
    Addr(SockAddr),
}

/// The fields of Vo's `TCPAddr` and `UDPAddr`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SockAddr {
    /// `IP`: 4 or 16 bytes, empty for none.
    pub ip: Vec<u8>,
    /// `Port`.
    pub port: i64,
    /// `Zone`: the IPv6 scope, or empty.
    pub zone: String,
}

impl Value {
    /// A Go `error` result: `Nil` or the error.
    pub fn err(e: Option<Error>) -> Value {
        e.map_or(Value::Nil, Value::Error)
    }

    /// A Go `[]string` result.
    pub fn strings(v: impl IntoIterator<Item = String>) -> Value {
        Value::List(v.into_iter().map(Value::Str).collect())
    }

    /// The zero value of a result kind (what Go returns beside an error).
    pub fn zero(kind: Kind) -> Value {
        match kind {
            Kind::Int | Kind::Int64 | Kind::Duration => Value::Int(0),
            Kind::Str => Value::Str(String::new()),
            _ => Value::Nil,
        }
    }
}

/// A JS VM's own byte array, read from or filled in place.
#[cfg(target_arch = "wasm32")]
pub type JsBytes = js_sys::Uint8Array;

/// An argument as the VM passes it, borrowed from the guest where it can be.
#[derive(Debug)]
pub enum Arg<'a> {
    /// Go's nil (a nil slice).
    Nil,
    /// `int`, `int64`, `time.Duration` (nanoseconds).
    Int(i64),
    /// `string`.
    Str(&'a str),
    /// A `[]byte` the extern only reads (Write's data, a request body).
    Bytes(&'a [u8]),
    /// A `[]byte` the extern may fill (Read's destination): the guest's
    /// memory. Accepted wherever `[]byte` is.
    Buf(&'a mut [u8]),
    /// `[]string`.
    Strings(Vec<&'a str>),
    /// A JS VM's `Uint8Array`, for any `[]byte`: reads fill it in place.
    #[cfg(target_arch = "wasm32")]
    Js(JsBytes),
}

impl Arg<'_> {
    fn type_name(&self) -> &'static str {
        match self {
            Arg::Nil => "nil",
            Arg::Int(_) => "int",
            Arg::Str(_) => "string",
            Arg::Bytes(_) | Arg::Buf(_) => "[]byte",
            Arg::Strings(_) => "[]string",
            #[cfg(target_arch = "wasm32")]
            Arg::Js(_) => "Uint8Array",
        }
    }
}

/// Owned values as arguments (a `Bytes` becomes a fillable `Buf`), for
/// hosts and tests that keep arguments as [`Value`]s: after a read, the
/// bytes are in the `Value::Bytes` passed.
pub fn args_of(values: &mut [Value]) -> Vec<Arg<'_>> {
    values
        .iter_mut()
        .map(|v| match v {
            Value::Nil => Arg::Nil,
            Value::Int(n) => Arg::Int(*n),
            Value::Str(s) => Arg::Str(s),
            Value::Bytes(b) => Arg::Buf(b),
            Value::List(l) => Arg::Strings(
                l.iter()
                    .map(|x| match x {
                        Value::Str(s) => s.as_str(),
                        _ => "",
                    })
                    .collect(),
            ),
            // Not argument kinds: the type check reports them.
            Value::Error(_) | Value::Addr(_) => Arg::Nil,
        })
        .collect()
}

/// The Go type of a parameter or result, as Vo declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `int`.
    Int,
    /// `int64`.
    Int64,
    /// `time.Duration`: nanoseconds, 0 or less = none.
    Duration,
    /// `string`.
    Str,
    /// `[]byte`.
    Bytes,
    /// `[]string`
    Strings,
    /// `[]IP`: a list of 4- or 16-byte `Bytes`.
    IPs,
    /// `*TCPAddr`: `Value::Addr` or nil.
    TCPAddr,
    /// `*UDPAddr`: `Value::Addr` or nil.
    UDPAddr,
    /// `error`: `Nil` or `Error`.
    Error,
}

impl Kind {
    /// Vo's spelling of the type.
    pub fn go_type(self) -> &'static str {
        match self {
            Kind::Int => "int",
            Kind::Int64 => "int64",
            Kind::Duration => "time.Duration",
            Kind::Str => "string",
            Kind::Bytes => "[]byte",
            Kind::Strings => "[]string",
            Kind::IPs => "[]IP",
            Kind::TCPAddr => "*TCPAddr",
            Kind::UDPAddr => "*UDPAddr",
            Kind::Error => "error",
        }
    }

    /// Whether `a` may be passed for a parameter of this kind (Go's nil is
    /// allowed for slices).
    fn admits(self, a: &Arg<'_>) -> bool {
        match (self, a) {
            (Kind::Int | Kind::Int64 | Kind::Duration, Arg::Int(_)) => true,
            (Kind::Str, Arg::Str(_)) => true,
            (Kind::Bytes | Kind::Strings, Arg::Nil) => true,
            (Kind::Bytes, Arg::Bytes(_) | Arg::Buf(_)) => true,
            #[cfg(target_arch = "wasm32")]
            (Kind::Bytes, Arg::Js(_)) => true,
            (Kind::Strings, Arg::Strings(_)) => true,
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

/// Checked arguments, by position. The checks ran first, so the accessors
/// cannot see the wrong type; they fall back to zero values.
#[derive(Debug)]
pub struct Args<'c, 'a>(&'c mut [Arg<'a>]);

impl<'a> Args<'_, 'a> {
    /// Argument `i` as an integer (0 when it is not one).
    pub fn int(&self, i: usize) -> i64 {
        match self.0.get(i) {
            Some(Arg::Int(n)) => *n,
            _ => 0,
        }
    }
    /// Argument `i` as a string (empty when it is not one).
    pub fn str(&self, i: usize) -> &str {
        match self.0.get(i) {
            Some(Arg::Str(s)) => s,
            _ => "",
        }
    }
    /// Argument `i` as `[]string` (empty when it is not one).
    pub fn strings(&self, i: usize) -> Vec<String> {
        match self.0.get(i) {
            Some(Arg::Strings(l)) => l.iter().map(|s| s.to_string()).collect(),
            _ => Vec::new(),
        }
    }
    /// The `[]byte` at `i`, to read from.
    pub fn data(&self, i: usize) -> Data<'_> {
        match self.0.get(i) {
            Some(Arg::Bytes(b)) => Data::Slice(b),
            Some(Arg::Buf(b)) => Data::Slice(b),
            #[cfg(target_arch = "wasm32")]
            Some(Arg::Js(a)) => Data::Js(a),
            _ => Data::Slice(&[]),
        }
    }
    /// The `[]byte` at `i`, to fill. A read-only `Bytes` argument cannot be
    /// filled: it reads as an empty destination.
    pub fn dest(&mut self, i: usize) -> Dest<'_> {
        match self.0.get_mut(i) {
            Some(Arg::Buf(b)) => Dest::Slice(b),
            #[cfg(target_arch = "wasm32")]
            Some(Arg::Js(a)) => Dest::Js(a),
            _ => Dest::Slice(&mut []),
        }
    }
}

/// Bytes an extern reads: a slice, or a JS VM's array.
#[derive(Debug)]
pub enum Data<'b> {
    /// The guest's own bytes.
    Slice(&'b [u8]),
    #[cfg(target_arch = "wasm32")]
    /// A JS VM's `Uint8Array`.
    Js(&'b JsBytes),
}

impl Data<'_> {
    /// The byte count.
    pub fn len(&self) -> usize {
        match self {
            Data::Slice(s) => s.len(),
            #[cfg(target_arch = "wasm32")]
            Data::Js(a) => a.length() as usize,
        }
    }
    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The bytes from `at` on, as a JS view valid until wasm memory next
    /// grows: hand it to a binding that copies what it keeps.
    #[cfg(target_arch = "wasm32")]
    pub(crate) fn js_from(&self, at: usize) -> JsBytes {
        match self {
            // SAFETY: the view is used only for the duration of one binding
            // call, during which nothing allocates in wasm memory.
            Data::Slice(s) => unsafe { JsBytes::view(&s[at.min(s.len())..]) },
            Data::Js(a) => a.subarray(at.min(a.length() as usize) as u32, a.length()),
        }
    }
    /// An owned copy (where the data must outlive the call: request bodies).
    pub fn to_vec(&self) -> Vec<u8> {
        match self {
            Data::Slice(s) => s.to_vec(),
            #[cfg(target_arch = "wasm32")]
            Data::Js(a) => a.to_vec(),
        }
    }
}

/// Where an extern writes bytes: the guest's slice, or a JS VM's array.
#[derive(Debug)]
pub enum Dest<'b> {
    /// The guest's own buffer.
    Slice(&'b mut [u8]),
    #[cfg(target_arch = "wasm32")]
    /// A JS VM's `Uint8Array`.
    Js(&'b JsBytes),
}

impl Dest<'_> {
    /// The byte count the destination holds.
    pub fn len(&self) -> usize {
        match self {
            Dest::Slice(s) => s.len(),
            #[cfg(target_arch = "wasm32")]
            Dest::Js(a) => a.length() as usize,
        }
    }
    /// Whether the destination holds no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// A JS view onto the destination (see `crate::read::view_mut`).
    #[cfg(target_arch = "wasm32")]
    pub(crate) fn js(&mut self) -> JsBytes {
        match self {
            Dest::Slice(s) => crate::read::view_mut(s),
            Dest::Js(a) => (*a).clone(),
        }
    }
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
pub enum Wake {
    /// The Go results: the replay collects them.
    Results(Vec<Value>),
    /// Ready for another attempt: the replay runs the extern again, passing
    /// this state (a read: 0; a write: the bytes sent so far).
    Retry(u64),
}

/// The future a waiting extern hands over.
pub type ExternFuture = Pin<Box<dyn Future<Output = Wake>>>;

/// What one attempt of a waiting extern gives.
pub enum Step {
    /// The results, at once.
    Done(Vec<Value>),
    /// Wait for this future, then replay.
    Wait(ExternFuture),
}

/// `Step::Wait` of a future that ends with the results.
pub fn results(f: impl Future<Output = Vec<Value>> + 'static) -> Step {
    Step::Wait(Box::pin(async move { Wake::Results(f.await) }))
}

/// Go's `error` result kind, named so it reads apart from `net::Error`.
pub const ERROR: Kind = Kind::Error;

#[derive(Clone, Copy)]
enum Imp {
    /// Answers at once.
    Now(fn(&mut Args<'_, '_>) -> Vec<Value>),
    /// May wait; called again on replay with the state of `Wake::Retry`.
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
                Ok(Some(Wake::Results(values))) => return ExternResult::Done(values),
                Ok(Some(Wake::Retry(state))) => retry = Some(state),
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
                Ok(Wake::Results(values)) => return ExternResult::Done(values),
                Ok(Wake::Retry(state)) => retry = Some(state),
                Err(token) => return ExternResult::Pending(token),
            }
        }
        ExternResult::Pending(task::spawn_ready(self, Wake::Retry(retry.unwrap_or(0))))
    }
}

/// Vo's canonical spelling of (package, function): `vo1:3:net:4:dial`
/// (lengths in bytes).
pub fn canonical_name(package: &str, function: &str) -> String {
    format!(
        "vo1:{}:{package}:{}:{function}",
        package.len(),
        function.len()
    )
}

/// Go's `net` subpackages: a flat `net_http_x` is (`net/http`, `x`), not
/// (`net`, `http_x`).
const NET_SUBPACKAGES: &[&str] = &["http", "mail", "netip", "rpc", "smtp", "textproto", "url"];

/// An extern's identity: (package path, function).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExternName<'a> {
    /// The package path: `net`, `net/http`.
    pub package: Cow<'a, str>,
    /// The function name as declared.
    pub function: Cow<'a, str>,
}

impl<'a> ExternName<'a> {
    /// Reads any spelling a VM has: canonical `vo1:3:net:4:dial`, a plain
    /// pair written `net.dial` / `net/http.nativeHttpsRequest`, or the flat
    /// `net_dial` / `net_http_nativeHttpsRequest`. `None` when it is none
    /// of these (a malformed canonical name, a name without a package).
    pub fn parse(s: &'a str) -> Option<ExternName<'a>> {
        if let Some(rest) = s.strip_prefix("vo1:") {
            let (package, rest) = length_prefixed(rest)?;
            let (function, rest) = length_prefixed(rest.strip_prefix(':')?)?;
            return (rest.is_empty() && !package.is_empty() && !function.is_empty())
                .then(|| ExternName::pair(package, function));
        }
        if let Some((package, function)) = s.rsplit_once('.') {
            return (!package.is_empty() && !function.is_empty() && !function.contains('/'))
                .then(|| ExternName::pair(package, function));
        }
        // Flat: the package path with '/' as '_', then '_', then the function.
        let (first, rest) = s.split_once('_')?;
        if first == "net" {
            if let Some((sub, f)) = rest.split_once('_') {
                if NET_SUBPACKAGES.contains(&sub) && !f.is_empty() {
                    return Some(ExternName {
                        package: Cow::Owned(format!("net/{sub}")),
                        function: Cow::Borrowed(f),
                    });
                }
            }
        }
        (!first.is_empty() && !rest.is_empty()).then(|| ExternName::pair(first, rest))
    }

    /// A (package, function) pair as is.
    pub fn pair(package: &'a str, function: &'a str) -> ExternName<'a> {
        ExternName {
            package: Cow::Borrowed(package),
            function: Cow::Borrowed(function),
        }
    }
}

impl fmt::Display for ExternName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.package, self.function)
    }
}

/// `N:text` with N the byte length of text: (text, what follows).
fn length_prefixed(s: &str) -> Option<(&str, &str)> {
    let (n, rest) = s.split_once(':')?;
    if n.is_empty() || n.len() > 6 || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: usize = n.parse().ok()?;
    let text = rest.get(..n)?;
    Some((text, &rest[n..]))
}

/// A declared extern as a VM lists it: a name string in any spelling
/// [`ExternName::parse`] reads, or a `(package, function)` pair.
pub trait Declared {
    /// The name, or `None` when it is not one this crate can read.
    fn extern_name(&self) -> Option<ExternName<'_>>;
}

impl Declared for &str {
    fn extern_name(&self) -> Option<ExternName<'_>> {
        ExternName::parse(self)
    }
}
impl Declared for String {
    fn extern_name(&self) -> Option<ExternName<'_>> {
        ExternName::parse(self)
    }
}
impl Declared for (&str, &str) {
    fn extern_name(&self) -> Option<ExternName<'_>> {
        Some(ExternName::pair(self.0, self.1))
    }
}
impl Declared for (String, String) {
    fn extern_name(&self) -> Option<ExternName<'_>> {
        Some(ExternName::pair(&self.0, &self.1))
    }
}

/// Where a VM keeps its externs. `id` is the position of the declaration
/// in the module's list (how Vo numbers externs).
pub trait ExternRegistry {
    /// Records that declaration `id` is `ext`.
    fn register(&mut self, id: usize, ext: &'static Extern);
}

/// A ready-made registry: by declaration id and by name.
#[derive(Debug, Default)]
pub struct Registry {
    by_id: Vec<Option<&'static Extern>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Registry {
        Registry::default()
    }
    /// The extern registered for declaration `id`.
    pub fn by_id(&self, id: usize) -> Option<&'static Extern> {
        self.by_id.get(id).copied().flatten()
    }
    /// The registered extern of that name (any spelling).
    pub fn get(&self, name: &str) -> Option<&'static Extern> {
        let n = ExternName::parse(name)?;
        self.by_id
            .iter()
            .flatten()
            .find(|e| e.package == n.package && e.name == n.function)
            .copied()
    }
    /// How many externs are registered.
    pub fn len(&self) -> usize {
        self.by_id.iter().flatten().count()
    }
    /// Whether no extern is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The registered externs in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &'static Extern)> + '_ {
        self.by_id
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.map(|e| (i, e)))
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

/// Declarations of a package a `register_externs` call was given that this
/// crate does not provide. The ones it knows were registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterError {
    /// The package path.
    pub package: &'static str,
    /// The declared functions this crate does not provide, as declared.
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

/// Registers, for each declaration of `package`, the extern of that
/// function from `table`; other packages' declarations are left alone.
/// Returns how many were registered. `net::register_externs` and
/// `http::register_externs` are this with their tables; a runtime can use
/// it for its own tables of `Extern`s too.
pub fn register_table<R: ExternRegistry + ?Sized, D: Declared>(
    package: &'static str,
    table: &'static [Extern],
    registry: &mut R,
    declared: &[D],
) -> Result<usize, RegisterError> {
    let mut unknown = Vec::new();
    let mut count = 0;
    for (id, d) in declared.iter().enumerate() {
        let Some(n) = d.extern_name() else { continue };
        if n.package != package {
            continue;
        }
        match table.iter().find(|e| e.name == n.function) {
            Some(ext) => {
                registry.register(id, ext);
                count += 1;
            }
            None => unknown.push(n.to_string()),
        }
    }
    if unknown.is_empty() {
        Ok(count)
    } else {
        Err(RegisterError { package, unknown })
    }
}

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

/// Every extern this crate provides (net's, then net/http's). The table is
/// the same on every target; outside a browser the calls that need one
/// return an error saying so.
pub fn all() -> impl Iterator<Item = &'static Extern> {
    crate::net::EXTERNS
        .iter()
        .chain(crate::http::EXTERNS.iter())
}

/// The extern of that name (any spelling [`ExternName::parse`] reads), if
/// this crate provides it.
pub fn find(name: &str) -> Option<&'static Extern> {
    let n = ExternName::parse(name)?;
    all().find(|e| e.package == n.package && e.name == n.function)
}

/// Registers every extern of this crate among `declared` (net's and
/// net/http's): the one call a VM needs. Errors list the declarations of
/// those packages this crate does not provide.
pub fn register_all<R: ExternRegistry + ?Sized, D: Declared>(
    registry: &mut R,
    declared: &[D],
) -> Result<usize, RegisterError> {
    let n = crate::net::register_externs(registry, declared);
    let h = crate::http::register_externs(registry, declared);
    match (n, h) {
        (Ok(a), Ok(b)) => Ok(a + b),
        (Err(mut a), Err(b)) => {
            a.unknown.extend(b.unknown);
            Err(a)
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}
