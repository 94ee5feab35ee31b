//! Go's `http.Request` (client side), its body, and request cookies.

use std::fmt;

use futures_io::AsyncRead;

use super::context::Context;
use super::header::Header;
use super::url::{self, Url};
use crate::net::Error;

/// A request body: nothing, bytes (a string, a form), or a reader that is
/// streamed (Go's `io.Reader`). A reader is uploaded as a stream where the
/// browser can (https, HTTP/2), and collected and sent whole otherwise.
#[derive(Default)]
pub enum Body {
    #[default]
    /// No body (Go's `nil` / `http.NoBody`).
    Empty,
    /// The bytes, sent as one body.
    Bytes(Vec<u8>),
    /// Streamed from a reader as the request is sent.
    Reader(Box<dyn AsyncRead + Unpin>),
}

impl Body {
    /// A streamed body from any `futures::io::AsyncRead`.
    pub fn reader(r: impl AsyncRead + Unpin + 'static) -> Body {
        Body::Reader(Box::new(r))
    }

    /// Go's `ContentLength` for this body: its length, 0 for none, and 0
    /// ("unknown", as Go reads 0 with a non-nil body) for a reader.
    pub fn len_hint(&self) -> i64 {
        match self {
            Body::Empty | Body::Reader(_) => 0,
            Body::Bytes(b) => b.len() as i64,
        }
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Body::Empty => f.write_str("Empty"),
            Body::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            Body::Reader(_) => f.write_str("Reader"),
        }
    }
}

impl From<Vec<u8>> for Body {
    fn from(b: Vec<u8>) -> Body {
        Body::Bytes(b)
    }
}
impl From<&[u8]> for Body {
    fn from(b: &[u8]) -> Body {
        Body::Bytes(b.to_vec())
    }
}
impl From<String> for Body {
    fn from(s: String) -> Body {
        Body::Bytes(s.into_bytes())
    }
}
impl From<&str> for Body {
    fn from(s: &str) -> Body {
        Body::Bytes(s.as_bytes().to_vec())
    }
}
impl From<()> for Body {
    fn from(_: ()) -> Body {
        Body::Empty
    }
}

/// Go's `http.Request`, for the client.
#[derive(Debug)]
pub struct Request {
    /// `GET`, `POST`, ... (empty means `GET`, as in Go).
    pub method: String,
    /// The parsed URL.
    pub url: Url,
    /// The request headers.
    pub header: Header,
    /// The body.
    pub body: Body,
    /// Bytes in `body`; 0 with a reader means unknown (Go's convention).
    pub content_length: i64,
    /// The host the request is for. The browser sets the Host header from the
    /// URL; a different value here fails the request (it would be ignored).
    pub host: String,
    pub(crate) context: Option<Context>,
    /// Read whole by a one-shot extern: js/http.ts caps it at the host's
    /// `http.maxResponseBytes`.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) whole_body: bool,
}

/// Go's `validMethod`: a non-empty token.
fn valid_method(m: &str) -> bool {
    !m.is_empty()
        && m.bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c))
}

/// Go's `http.NewRequest`: "" means GET; the URL must parse.
pub fn new_request(method: &str, url: &str, body: impl Into<Body>) -> Result<Request, Error> {
    let method = if method.is_empty() { "GET" } else { method };
    if !valid_method(method) {
        return Err(Error::other(format!("net/http: invalid method {method:?}")));
    }
    let u = url::parse(url)?;
    let body = body.into();
    Ok(Request {
        method: method.to_string(),
        host: u.host.clone(),
        url: u,
        header: Header::new(),
        content_length: body.len_hint(),
        body,
        context: None,
        whole_body: false,
    })
}

impl Request {
    /// Go's `WithContext`: cancellation and a deadline for this request.
    pub fn with_context(mut self, ctx: &Context) -> Request {
        self.context = Some(ctx.clone());
        self
    }

    /// The request's context, if it has one.
    pub fn context(&self) -> Option<&Context> {
        self.context.as_ref()
    }

    /// Go's `Request.Cookies`: the cookies in the Cookie header(s).
    pub fn cookies(&self) -> Vec<Cookie> {
        read_cookies(&self.header, None)
    }

    /// Go's `Request.Cookie`: `http: named cookie not present` if absent.
    pub fn cookie(&self, name: &str) -> Result<Cookie, Error> {
        read_cookies(&self.header, Some(name))
            .into_iter()
            .next()
            .ok_or_else(|| Error::other("http: named cookie not present"))
    }

    /// Go's `AddCookie`. Note: fetch forbids a program to set Cookie, so
    /// such a request fails with an error saying so; the browser sends its
    /// own cookies (`js.fetch:credentials`).
    pub fn add_cookie(&mut self, c: &Cookie) {
        let pair = format!(
            "{}={}",
            c.name,
            if c.quoted {
                format!("\"{}\"", c.value)
            } else {
                c.value.clone()
            }
        );
        let joined = match self.header.get("Cookie") {
            "" => pair,
            old => format!("{old}; {pair}"),
        };
        self.header.set("Cookie", joined);
    }
}

/// A request cookie (Go's `http.Cookie`, the fields a request carries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cookie {
    /// The cookie's name.
    pub name: String,
    /// The cookie's value.
    pub value: String,
    /// The value was in double quotes.
    pub quoted: bool,
}

fn valid_cookie_value_byte(b: u8) -> bool {
    (0x20..0x7f).contains(&b) && b != b'"' && b != b';' && b != b'\\'
}

/// Go's `readCookies`: "a=1; b=\"2\"" from every Cookie line; malformed
/// pairs are skipped.
fn read_cookies(h: &Header, filter: Option<&str>) -> Vec<Cookie> {
    let mut out = Vec::new();
    for line in h.values("Cookie") {
        for part in line.trim().split(';') {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let (name, val) = part.split_once('=').unwrap_or((part, ""));
            let name_ok = !name.is_empty()
                && name
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c));
            if !name_ok || filter.is_some_and(|f| f != name) {
                continue;
            }
            let (val, quoted) = match val.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
                Some(inner) if val.len() > 1 => (inner, true),
                _ => (val, false),
            };
            if !val.bytes().all(valid_cookie_value_byte) {
                continue;
            }
            out.push(Cookie {
                name: name.into(),
                value: val.into(),
                quoted,
            });
        }
    }
    out
}
