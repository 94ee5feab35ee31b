//! What crosses between a VM and an extern: results (`Value`), arguments
//! (`Arg`, borrowed from the guest where they can be; `Args`, `Data`, `Dest`
//! to read them), and the Go kinds of parameters and results (`Kind`).

use crate::net::Error;

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
    pub(crate) fn type_name(&self) -> &'static str {
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
    pub(crate) fn admits(self, a: &Arg<'_>) -> bool {
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


/// Checked arguments, by position. The checks ran first, so the accessors
/// cannot see the wrong type; they fall back to zero values.
#[derive(Debug)]
pub struct Args<'c, 'a>(pub(crate) &'c mut [Arg<'a>]);

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
    /// A JS view onto the destination (see `crate::host::read::view_mut`).
    #[cfg(target_arch = "wasm32")]
    pub(crate) fn js(&mut self) -> JsBytes {
        match self {
            Dest::Slice(s) => crate::host::read::view_mut(s),
            Dest::Js(a) => (*a).clone(),
        }
    }
}

