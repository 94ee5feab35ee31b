//! An extern's identity, (package path, function), in every spelling a VM
//! has: Vo's canonical `vo1:3:net:4:dial`, `net.dial`, the flat `net_dial`.

use std::borrow::Cow;
use std::fmt;

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

