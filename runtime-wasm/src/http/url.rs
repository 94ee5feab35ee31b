//! The part of Go's `net/url` an HTTP client needs: `parse` with Go's
//! checks and error texts (`parse "URL": missing protocol scheme`), the
//! string form, and `Values` with Go's form encoding. Components are kept
//! as written (escaped), so `to_string()` gives back what was parsed, with
//! the scheme in lower case; the browser's own URL parser does the rest.

use std::collections::BTreeMap;
use std::fmt;

use crate::net::{Error, UrlError};

/// A parsed URL (Go's `url.URL`, escaped forms only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Url {
    /// `http`, `https`, ... (lower case).
    pub scheme: String,
    /// Set for "scheme:opaque" URLs (no "//").
    pub opaque: String,
    /// Userinfo as written, without the '@'.
    pub user: Option<String>,
    /// host or host:port.
    pub host: String,
    /// The decoded path.
    pub path: String,
    /// The query without `?`, still encoded.
    pub raw_query: String,
    /// The fragment without `#`, decoded.
    pub fragment: String,
    /// The URL had "//" (an authority), even if empty.
    has_authority: bool,
}

fn parse_error(raw: &str, err: impl Into<String>) -> Error {
    Error::Url(UrlError {
        op: "parse".into(),
        url: raw.into(),
        err: Box::new(Error::other(err)),
    })
}

/// Go's `getScheme`.
fn get_scheme(raw: &str) -> Result<(&str, &str), &'static str> {
    for (i, c) in raw.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
            b':' if i == 0 => return Err("missing protocol scheme"),
            b':' => return Ok((&raw[..i], &raw[i + 1..])),
            _ => return Ok(("", raw)),
        }
    }
    Ok(("", raw))
}

#[derive(Clone, Copy, PartialEq)]
enum Part {
    Host,
    Path,
    Fragment,
}

/// Go's `unescape` checks: every '%' starts a valid escape; in a host, only
/// the characters Go allows there.
fn check_escapes(s: &str, part: Part) -> Result<(), String> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                if i + 2 >= b.len()
                    || !b[i + 1].is_ascii_hexdigit()
                    || !b[i + 2].is_ascii_hexdigit()
                {
                    // Go cuts the escape at 3 bytes, which may split a
                    // character: quote bytes, not a str slice (a slice
                    // inside a character would panic).
                    let end = (i + 3).min(b.len());
                    return Err(format!("invalid URL escape {}", quote_bytes(&b[i..end])));
                }
                i += 3;
                continue;
            }
            c if part == Part::Host && c < 0x80 && !host_byte_ok(c) => {
                return Err(format!(
                    "invalid character {:?} in host name",
                    char::from(c).to_string()
                ));
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// Go's `%q` of a byte string: valid UTF-8 as Rust's `{:?}` shows it,
/// each invalid byte as `\xNN`.
fn quote_bytes(b: &[u8]) -> String {
    let mut out = String::from("\"");
    for chunk in b.utf8_chunks() {
        let valid = format!("{:?}", chunk.valid());
        out.push_str(&valid[1..valid.len() - 1]);
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    out.push('"');
    out
}

fn host_byte_ok(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"-_.~!$&'()*+,;=:[]<>\"".contains(&c)
}

/// Go's `validOptionalPort`: "" or ":" followed by digits.
fn valid_optional_port(p: &str) -> bool {
    p.is_empty() || (p.starts_with(':') && p[1..].bytes().all(|c| c.is_ascii_digit()))
}

/// Go's `parseHost`.
fn parse_host(host: &str) -> Result<(), String> {
    if host.starts_with('[') {
        let Some(i) = host.rfind(']') else {
            return Err("missing ']' in host".into());
        };
        let colon_port = &host[i + 1..];
        if !valid_optional_port(colon_port) {
            return Err(format!("invalid port {colon_port:?} after host"));
        }
    } else if let Some(i) = host.rfind(':') {
        let colon_port = &host[i..];
        if !valid_optional_port(colon_port) {
            return Err(format!("invalid port {colon_port:?} after host"));
        }
    }
    check_escapes(host, Part::Host)
}

/// Go's `url.Parse`.
pub fn parse(raw: &str) -> Result<Url, Error> {
    let (u, frag) = raw.split_once('#').unwrap_or((raw, ""));
    let mut url = parse_no_fragment(u).map_err(|e| parse_error(u, e))?;
    check_escapes(frag, Part::Fragment).map_err(|e| parse_error(raw, e))?;
    url.fragment = frag.to_string();
    Ok(url)
}

fn parse_no_fragment(raw: &str) -> Result<Url, String> {
    if raw.bytes().any(|c| c < 0x20 || c == 0x7f) {
        return Err("net/url: invalid control character in URL".into());
    }
    let mut url = Url::default();
    if raw == "*" {
        url.path = "*".into();
        return Ok(url);
    }
    let (scheme, rest) = get_scheme(raw)?;
    url.scheme = scheme.to_ascii_lowercase();
    let rest = match rest.split_once('?') {
        Some((r, q)) => {
            url.raw_query = q.to_string();
            r
        }
        None => rest,
    };
    if !rest.starts_with('/') {
        if !url.scheme.is_empty() {
            url.opaque = rest.to_string();
            return Ok(url);
        }
        if rest.split('/').next().is_some_and(|seg| seg.contains(':')) {
            return Err("first path segment in URL cannot contain colon".into());
        }
    }
    let mut path = rest;
    if (!url.scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
        let authority = &rest[2..];
        let (authority, p) = match authority.find('/') {
            Some(i) => (&authority[..i], &authority[i..]),
            None => (authority, ""),
        };
        let host = match authority.rfind('@') {
            Some(i) => {
                url.user = Some(authority[..i].to_string());
                &authority[i + 1..]
            }
            None => authority,
        };
        parse_host(host)?;
        url.host = host.to_string();
        url.has_authority = true;
        path = p;
    }
    check_escapes(path, Part::Path)?;
    url.path = path.to_string();
    Ok(url)
}

impl Url {
    /// The host without a port (brackets removed from IPv6), Go's `Hostname`.
    pub fn hostname(&self) -> &str {
        let h = self.host.as_str();
        if let Some(rest) = h.strip_prefix('[') {
            return rest.split(']').next().unwrap_or(rest);
        }
        h.rsplit_once(':').map_or(h, |(name, _)| name)
    }

    /// Go's `RequestURI`: the path (or "/") and the query, as a request
    /// line carries them.
    pub fn request_uri(&self) -> String {
        let path = if self.path.is_empty() { "/" } else { self.path.as_str() };
        if self.raw_query.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{}", self.raw_query)
        }
    }

    /// Go's `u.Parse(ref)`: a reference (a redirect's Location) against this
    /// URL, for the forms servers send (RFC 3986 §5.2): absolute,
    /// scheme-relative, absolute-path, relative to this path's directory,
    /// or empty (this URL). The fragment is dropped.
    pub fn parse_reference(&self, reference: &str) -> Result<Url, Error> {
        let r = reference.split('#').next().unwrap_or("");
        let has_scheme = r
            .split_once(':')
            .is_some_and(|(s, _)| !s.is_empty() && s.bytes().all(|c| c.is_ascii_alphanumeric() || b"+-.".contains(&c)));
        let abs = if has_scheme {
            r.to_string()
        } else if r.starts_with("//") {
            format!("{}:{r}", self.scheme)
        } else if r.starts_with('/') {
            format!("{}://{}{r}", self.scheme, self.host)
        } else if r.is_empty() {
            format!("{}://{}{}", self.scheme, self.host, self.request_uri())
        } else {
            let dir = self.path.rsplit_once('/').map_or("", |(d, _)| d);
            format!("{}://{}{dir}/{r}", self.scheme, self.host)
        };
        parse(&abs)
    }

    /// The port, or "" (Go's `Port`).
    pub fn port(&self) -> &str {
        let h = self.host.as_str();
        let after = h.rfind(']').map_or(h, |i| &h[i + 1..]);
        after.rfind(':').map_or("", |i| &after[i + 1..])
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.scheme.is_empty() {
            write!(f, "{}:", self.scheme)?;
        }
        if !self.opaque.is_empty() {
            f.write_str(&self.opaque)?;
        } else {
            if self.has_authority || !self.host.is_empty() || self.user.is_some() {
                f.write_str("//")?;
                if let Some(u) = &self.user {
                    write!(f, "{u}@")?;
                }
                f.write_str(&self.host)?;
            }
            f.write_str(&self.path)?;
        }
        if !self.raw_query.is_empty() {
            write!(f, "?{}", self.raw_query)?;
        }
        if !self.fragment.is_empty() {
            write!(f, "#{}", self.fragment)?;
        }
        Ok(())
    }
}

/// Go's `url.QueryEscape`: form encoding, space as '+'.
pub fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Go's `url.Values`: form fields, encoded in key order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Values(pub BTreeMap<String, Vec<String>>);

impl Values {
    /// No values.
    pub fn new() -> Values {
        Values::default()
    }
    /// Appends `value` to `key`'s values.
    pub fn add(&mut self, key: &str, value: impl Into<String>) {
        self.0
            .entry(key.to_string())
            .or_default()
            .push(value.into());
    }
    /// Sets `key` to `value` alone.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.0.insert(key.to_string(), vec![value.into()]);
    }
    /// The first value of `key`, or empty.
    pub fn get(&self, key: &str) -> &str {
        self.0
            .get(key)
            .and_then(|v| v.first())
            .map(String::as_str)
            .unwrap_or("")
    }
    /// Go's `Encode`: "a=1&b=x+y", sorted by key.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        for (k, vs) in &self.0 {
            for v in vs {
                if !out.is_empty() {
                    out.push('&');
                }
                out.push_str(&query_escape(k));
                out.push('=');
                out.push_str(&query_escape(v));
            }
        }
        out
    }
}

impl<K: AsRef<str>, V: Into<String>> FromIterator<(K, V)> for Values {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Values {
        let mut v = Values::new();
        for (k, x) in iter {
            v.add(k.as_ref(), x);
        }
        v
    }
}
