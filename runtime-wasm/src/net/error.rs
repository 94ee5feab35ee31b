//! One error type for the whole library, shaped after Go's `net` errors.
//!
//! `Display` is Go's `Error()` string, byte for byte. Every variant has a
//! stable code (`Error::code`) which is also the `code` tag of its serde
//! form, so an error built in JS (`{code: "timeout"}`) and one built in Rust
//! cross the boundary in either direction unchanged. `js/net.ts` declares the
//! same codes in `NetErrorCode`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Go's `net.OpError`: `op net [source->]addr: err`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpError {
    /// The operation: "dial", "read", "write", "close", "listen", ...
    pub op: String,
    /// The network: "ws", "wss", "tcp", ...
    #[serde(default)]
    pub net: String,
    /// The local address, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The remote address (a URL for ws/wss).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addr: Option<String>,
    /// What went wrong.
    pub err: Box<Error>,
}

/// Go's `net.DNSError`: `lookup NAME[ on SERVER]: ERR`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DNSError {
    /// What went wrong: "no such host", "i/o timeout", ...
    pub err: String,
    /// The name looked up.
    pub name: String,
    #[serde(default)]
    /// The server asked, when known.
    pub server: String,
    #[serde(default)]
    /// Whether the lookup timed out.
    pub is_timeout: bool,
    #[serde(default)]
    /// Whether retrying may succeed.
    pub is_temporary: bool,
    #[serde(default)]
    /// Whether the name does not exist (NXDOMAIN, or no records).
    pub is_not_found: bool,
}

/// Go's `net.AddrError`: `address ADDR: REASON` (just `REASON` without ADDR).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddrError {
    /// Why the address is wrong.
    pub err: String,
    #[serde(default)]
    /// The address, or empty.
    pub addr: String,
}

/// Go's `url.Error`, which net/http's client wraps every failure in:
/// `OP "URL": ERR` (op is the method in Go's casing: Get, Post, Head, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UrlError {
    /// Go's method spelling: `Get`, `Post`, `Head`, ...
    pub op: String,
    /// The URL as requested.
    pub url: String,
    /// What went wrong.
    pub err: Box<Error>,
}

/// Go's `net.ParseError`: `invalid TYPE: TEXT`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParseError {
    /// What was being parsed: "IP address", "CIDR address", ...
    pub r#type: String,
    /// The text that failed.
    pub text: String,
}

/// Every error the library returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Error {
    /// Go's `*net.OpError`.
    Op(OpError),
    /// Go's `*net.DNSError`.
    Dns(DNSError),
    /// Go's `*net.AddrError`.
    Addr(AddrError),
    /// Go's `*net.ParseError`.
    Parse(ParseError),
    /// Go's `UnknownNetworkError`: `unknown network NET`.
    UnknownNetwork {
        /// The network name given.
        net: String,
    },
    /// Go's `net.ErrClosed`.
    Closed,
    /// Go's `os.ErrDeadlineExceeded`: a deadline passed; the connection is
    /// still usable.
    Timeout,
    /// The operation was cancelled by its caller (Go's `errCanceled`).
    Canceled,
    /// What the browser cannot do (listening sockets, raw TCP/UDP, ...). The
    /// message says what is unsupported and, where there is one, what to use.
    Unsupported {
        /// What is unsupported, and the alternative.
        message: String,
    },
    /// Go's `io.EOF`: the peer finished cleanly.
    Eof,
    /// Any other failure, with the most specific text available (a refused
    /// connection, an abnormal close code, a browser exception).
    Other {
        /// The text.
        message: String,
    },
    /// Go's `*url.Error`, around an HTTP client failure.
    Url(UrlError),
    /// Go's `context.DeadlineExceeded` or net/http's Client.Timeout error:
    /// `is_timeout()`. The message says which deadline and in which phase.
    Deadline {
        /// Which deadline passed, and in which phase.
        message: String,
    },
    /// Go's `context.Canceled`: the caller cancelled the request.
    ContextCanceled,
    /// `connection refused` (Vo's `net.ErrConnectionRefused`).
    Refused,
    /// `connection reset by peer` (Vo's `net.ErrConnectionReset`).
    Reset,
    /// `address already in use` (Vo's `net.ErrAddressInUse`).
    AddrInUse,
    /// `address not available` (Vo's `net.ErrAddressNotAvailable`).
    AddrNotAvailable,
    /// The host's capability policy refused the operation; the message says
    /// what was denied (`permission denied by network policy (host h not
    /// allowed)`).
    Denied {
        /// What the policy denied.
        message: String,
    },
    /// `request timeout` (Vo's `http.ErrRequestTimeout`): what Vo's
    /// `nativeHttpsRequest` returns when Client.Timeout expires.
    RequestTimeout,
}

/// Vo's `getNetErrors()`, in its order: the errors an extern returns as
/// these very values, so `errors.Is` holds in the guest.
pub const NET_SENTINELS: [Error; 6] = [
    Error::Closed,
    Error::Timeout,
    Error::Refused,
    Error::Reset,
    Error::AddrInUse,
    Error::AddrNotAvailable,
];

impl Error {
    /// The stable code of this kind of error (also its serde `code` tag).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Op(_) => "op",
            Error::Dns(_) => "dns",
            Error::Addr(_) => "addr",
            Error::Parse(_) => "parse",
            Error::UnknownNetwork { .. } => "unknown_network",
            Error::Closed => "closed",
            Error::Timeout => "timeout",
            Error::Canceled => "canceled",
            Error::Unsupported { .. } => "unsupported",
            Error::Eof => "eof",
            Error::Other { .. } => "other",
            Error::Url(_) => "url",
            Error::Deadline { .. } => "deadline",
            Error::ContextCanceled => "context_canceled",
            Error::Refused => "refused",
            Error::Reset => "reset",
            Error::AddrInUse => "addr_in_use",
            Error::AddrNotAvailable => "addr_not_available",
            Error::Denied { .. } => "denied",
            Error::RequestTimeout => "request_timeout",
        }
    }

    /// Every code, in declaration order (the JS side keeps the same list).
    pub const CODES: [&'static str; 20] = [
        "op",
        "dns",
        "addr",
        "parse",
        "unknown_network",
        "closed",
        "timeout",
        "canceled",
        "unsupported",
        "eof",
        "other",
        "url",
        "deadline",
        "context_canceled",
        "refused",
        "reset",
        "addr_in_use",
        "addr_not_available",
        "denied",
        "request_timeout",
    ];

    /// Wraps `err` as Go's `OpError{Op: op, Net: net, Addr: addr}`.
    pub fn op(op: &str, net: &str, addr: Option<&str>, err: Error) -> Error {
        Error::Op(OpError {
            op: op.into(),
            net: net.into(),
            source: None,
            addr: addr.map(Into::into),
            err: Box::new(err),
        })
    }

    /// [`Error::Unsupported`] with this message.
    pub fn unsupported(message: impl Into<String>) -> Error {
        Error::Unsupported {
            message: message.into(),
        }
    }

    /// [`Error::Other`] with this message.
    pub fn other(message: impl Into<String>) -> Error {
        Error::Other {
            message: message.into(),
        }
    }

    /// Go's `Timeout()`: true for deadline errors, DNS timeouts and any
    /// `OpError` wrapping one.
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Timeout | Error::Deadline { .. } | Error::RequestTimeout => true,
            Error::Dns(e) => e.is_timeout,
            Error::Op(e) => e.err.is_timeout(),
            Error::Url(e) => e.err.is_timeout(),
            _ => false,
        }
    }

    /// Go's `Temporary()` (deprecated in Go, kept for DNSError's sake).
    pub fn is_temporary(&self) -> bool {
        match self {
            Error::Timeout | Error::Deadline { .. } | Error::RequestTimeout => true,
            Error::Dns(e) => e.is_timeout || e.is_temporary,
            Error::Op(e) => e.err.is_temporary(),
            Error::Url(e) => e.err.is_temporary(),
            _ => false,
        }
    }

    /// Go's `DNSError.IsNotFound`, looking through an `OpError`.
    pub fn is_not_found(&self) -> bool {
        match self {
            Error::Dns(e) => e.is_not_found,
            Error::Op(e) => e.err.is_not_found(),
            Error::Url(e) => e.err.is_not_found(),
            _ => false,
        }
    }

    /// The Go sentinel this error matches with `errors.Is`, looking through
    /// `OpError` / `UrlError`: "net.ErrClosed", "os.ErrDeadlineExceeded",
    /// "io.EOF", "errors.ErrUnsupported", "context.Canceled",
    /// "context.DeadlineExceeded" (which Go's Client.Timeout error also
    /// matches). For VMs that rebuild Go's error values.
    pub fn sentinel(&self) -> Option<&'static str> {
        match self.root() {
            Error::Closed => Some("net.ErrClosed"),
            Error::Timeout => Some("os.ErrDeadlineExceeded"),
            Error::Eof => Some("io.EOF"),
            Error::Unsupported { .. } => Some("errors.ErrUnsupported"),
            Error::ContextCanceled => Some("context.Canceled"),
            Error::Deadline { .. } => Some("context.DeadlineExceeded"),
            Error::Refused => Some("net.ErrConnectionRefused"),
            Error::Reset => Some("net.ErrConnectionReset"),
            Error::AddrInUse => Some("net.ErrAddressInUse"),
            Error::AddrNotAvailable => Some("net.ErrAddressNotAvailable"),
            Error::RequestTimeout => Some("http.ErrRequestTimeout"),
            _ => None,
        }
    }

    /// Where this error sits among Vo's sentinels when it *is* one (not
    /// merely wraps one), by Vo's sentinel-cache key: `("net", i)` for
    /// `getNetErrors()`'s i-th result, `("http", 0)` for `getHttpErrors()`,
    /// `("io", 0)` for `io.EOF` (the first of `getIoErrors()`). A VM returns
    /// its cached value for these, so `errors.Is` and `==` hold by identity.
    pub fn vo_sentinel(&self) -> Option<(&'static str, usize)> {
        match self {
            Error::RequestTimeout => Some(("http", 0)),
            Error::Eof => Some(("io", 0)),
            _ => NET_SENTINELS.iter().position(|s| s == self).map(|i| ("net", i)),
        }
    }

    /// The error value of a Go sentinel named as `sentinel()` names them.
    pub fn from_sentinel(name: &str) -> Option<Error> {
        Some(match name {
            "net.ErrClosed" => Error::Closed,
            "os.ErrDeadlineExceeded" => Error::Timeout,
            "io.EOF" => Error::Eof,
            "errors.ErrUnsupported" => Error::unsupported("unsupported operation"),
            "context.Canceled" => Error::ContextCanceled,
            "context.DeadlineExceeded" => Error::Deadline {
                message: "context deadline exceeded".into(),
            },
            "net.ErrConnectionRefused" => Error::Refused,
            "net.ErrConnectionReset" => Error::Reset,
            "net.ErrAddressInUse" => Error::AddrInUse,
            "net.ErrAddressNotAvailable" => Error::AddrNotAvailable,
            "http.ErrRequestTimeout" => Error::RequestTimeout,
            _ => return None,
        })
    }

    /// The innermost error, through any `OpError` / `UrlError` layers (Go's
    /// `errors.Unwrap` loop), for matching on `Closed`, `Eof`, `Timeout`.
    pub fn root(&self) -> &Error {
        match self {
            Error::Op(e) => e.err.root(),
            Error::Url(e) => e.err.root(),
            e => e,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Op(e) => {
                f.write_str(&e.op)?;
                if !e.net.is_empty() {
                    write!(f, " {}", e.net)?;
                }
                if let Some(s) = &e.source {
                    write!(f, " {s}")?;
                }
                if let Some(a) = &e.addr {
                    f.write_str(if e.source.is_some() { "->" } else { " " })?;
                    f.write_str(a)?;
                }
                write!(f, ": {}", e.err)
            }
            Error::Dns(e) => {
                write!(f, "lookup {}", e.name)?;
                if !e.server.is_empty() {
                    write!(f, " on {}", e.server)?;
                }
                write!(f, ": {}", e.err)
            }
            Error::Addr(e) if e.addr.is_empty() => f.write_str(&e.err),
            Error::Addr(e) => write!(f, "address {}: {}", e.addr, e.err),
            Error::Parse(e) => write!(f, "invalid {}: {}", e.r#type, e.text),
            Error::UnknownNetwork { net } => write!(f, "unknown network {net}"),
            Error::Closed => f.write_str("use of closed network connection"),
            Error::Timeout => f.write_str("i/o timeout"),
            Error::Canceled => f.write_str("operation was canceled"),
            Error::Unsupported { message }
            | Error::Other { message }
            | Error::Denied { message }
            | Error::Deadline { message } => f.write_str(message),
            Error::Refused => f.write_str("connection refused"),
            Error::Reset => f.write_str("connection reset by peer"),
            Error::AddrInUse => f.write_str("address already in use"),
            Error::AddrNotAvailable => f.write_str("address not available"),
            Error::RequestTimeout => f.write_str("request timeout"),
            Error::Url(e) => write!(f, "{} \"{}\": {}", e.op, e.url, e.err),
            Error::ContextCanceled => f.write_str("context canceled"),
            Error::Eof => f.write_str("EOF"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Op(e) => Some(e.err.as_ref()),
            Error::Url(e) => Some(e.err.as_ref()),
            _ => None,
        }
    }
}

/// Lets `Conn` implement `futures::io` traits and lets callers use `?` in
/// functions returning `std::io::Result`. The `Error` stays inside, so
/// `io::Error::get_ref` + `downcast_ref::<Error>()` recovers it.
impl From<Error> for std::io::Error {
    fn from(e: Error) -> Self {
        use std::io::ErrorKind as K;
        let kind = match e.root() {
            Error::Timeout | Error::Deadline { .. } | Error::RequestTimeout => K::TimedOut,
            Error::Eof => K::UnexpectedEof,
            Error::Refused => K::ConnectionRefused,
            Error::Reset => K::ConnectionReset,
            Error::AddrInUse => K::AddrInUse,
            Error::AddrNotAvailable => K::AddrNotAvailable,
            Error::Denied { .. } => K::PermissionDenied,
            Error::Closed => K::NotConnected,
            Error::Unsupported { .. } => K::Unsupported,
            Error::Addr(_) | Error::Parse(_) | Error::UnknownNetwork { .. } => K::InvalidInput,
            _ => K::Other,
        };
        std::io::Error::new(kind, e)
    }
}
