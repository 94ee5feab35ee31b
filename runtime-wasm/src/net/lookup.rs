//! Go's `Resolver` over DNS-over-HTTPS: `lookup_host`, `lookup_ip`,
//! `lookup_addr`, `lookup_port`.
//!
//! Go's rules that need no network live here and are tested natively: an
//! empty name fails, an IP literal comes back as is with no query,
//! `localhost` and `*.localhost` resolve locally (RFC 6761; 127.0.0.1 and
//! ::1, as a standard hosts file has them), a name Go would not send
//! (`is_domain_name`) is "no such host", and results are filtered by
//! network. The queries, the cache and de-duplication are in js/dns.ts.

use std::cell::RefCell;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::dnsclient::{is_domain_name, reverse_addr};
use super::parse::parse_addr;
use super::{parse_ip, AddrError, DNSError, Error, IP};

/// DoH wire format: RFC 8484 `application/dns-message` (the default) or the
/// JSON API (`application/dns-json`) that Google and Cloudflare also serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DohFormat {
    /// RFC 8484 `application/dns-message`.
    Wire,
    /// The JSON API, `application/dns-json`.
    Json,
}

/// Go's `net.Resolver`, for DNS over HTTPS. Every field is optional: unset
/// fields take what the host gave `registerNetBindings({dns: ...})`, or the
/// defaults (Cloudflare, then Google; wire format; 5 s per query). The cache
/// and its limits are the host's, shared by every `Resolver`, and keyed by
/// server list, so two resolvers with different servers never share
/// answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolver {
    /// DoH endpoint URLs, tried in order.
    pub servers: Vec<String>,
    /// The wire format (unset: the host's, else `Wire`).
    pub format: Option<DohFormat>,
    /// Per query and server; a slow server is given up for the next one.
    pub timeout: Option<Duration>,
}

/// What each query carries to JS (js/dns.ts `DnsOverrides`).
#[derive(Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
#[serde(rename_all = "camelCase")]
struct Overrides<'a> {
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    servers: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    format: Option<DohFormat>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timeout_ms: Option<f64>,
}

/// Which addresses a network asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    Any,
    V4,
    V6,
}

impl Family {
    pub(crate) fn of(network: &str) -> Result<Family, Error> {
        match network {
            "ip" => Ok(Family::Any),
            "ip4" => Ok(Family::V4),
            "ip6" => Ok(Family::V6),
            _ => Err(Error::UnknownNetwork {
                net: network.into(),
            }),
        }
    }

    /// Go's `ipv4only` / `ipv6only` filters.
    fn admits(self, ip: &IP) -> bool {
        match self {
            Family::Any => true,
            Family::V4 => ip.to4().is_some(),
            Family::V6 => ip.len() == 16 && ip.to4().is_none(),
        }
    }
}

fn no_such_host(name: &str) -> Error {
    Error::Dns(DNSError {
        err: "no such host".into(),
        name: name.into(),
        is_not_found: true,
        ..Default::default()
    })
}

fn localhost() -> Vec<IP> {
    vec![IP::from([127, 0, 0, 1]), IP::ipv6_loopback()]
}

fn is_localhost(name: &str) -> bool {
    let n = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    n == "localhost" || n.ends_with(".localhost")
}

/// The answer Go gives without asking any server, if there is one:
/// `Some(Ok(..))` for literals and localhost, `Some(Err(..))` for names that
/// cannot be looked up, `None` when a query is needed.
pub(crate) fn local_answer(host: &str, family: Family) -> Option<Result<Vec<IP>, Error>> {
    if host.is_empty() {
        return Some(Err(no_such_host(host)));
    }
    let found = if let Ok(a) = parse_addr(host) {
        vec![if a.is4 {
            IP(a.bytes[12..].to_vec())
        } else {
            IP(a.bytes.to_vec())
        }]
    } else if is_localhost(host) {
        localhost()
    } else if !is_domain_name(host) {
        return Some(Err(no_such_host(host)));
    } else {
        return None;
    };
    Some(filter(found, family, host))
}

/// Go's `filterAddrList`: "no suitable address found" when nothing is left.
fn filter(ips: Vec<IP>, family: Family, host: &str) -> Result<Vec<IP>, Error> {
    let kept: Vec<IP> = ips.into_iter().filter(|ip| family.admits(ip)).collect();
    if kept.is_empty() {
        return Err(Error::Addr(AddrError {
            err: "no suitable address found".into(),
            addr: host.into(),
        }));
    }
    Ok(kept)
}

/// Addresses as DoH returns them (text): A records as 4-byte IPs, AAAA
/// records as 16-byte IPs, as Go's resolver builds them.
pub(crate) fn parse_answers(texts: &[String], name: &str) -> Result<Vec<IP>, Error> {
    texts
        .iter()
        .map(|t| {
            let ip = parse_ip(t).ok_or_else(|| {
                Error::Dns(DNSError {
                    err: format!("cannot unmarshal DNS message: bad address {t:?}"),
                    name: name.into(),
                    ..Default::default()
                })
            })?;
            Ok(if t.contains(':') {
                ip
            } else {
                ip.to4().unwrap_or(ip)
            })
        })
        .collect()
}

/// Go's `LookupAddr` post-processing: absolute names, invalid ones dropped
/// (Go returns them with an error; a Rust `Result` cannot carry both, so an
/// error is returned only when no valid name is left).
pub(crate) fn ptr_names(names: Vec<String>, addr: &str) -> Result<Vec<String>, Error> {
    let total = names.len();
    let valid: Vec<String> = names
        .into_iter()
        .map(|n| if n.ends_with('.') { n } else { n + "." })
        .filter(|n| is_domain_name(n))
        .collect();
    if valid.is_empty() && total > 0 {
        return Err(Error::Dns(DNSError {
            err: "DNS response contained records which contain invalid names".into(),
            name: addr.into(),
            ..Default::default()
        }));
    }
    Ok(valid)
}

/// Go's `LookupAddr` answer without a query, if there is one: loopback
/// addresses are "localhost", as in a standard hosts file.
pub(crate) fn local_names(addr: &str) -> Option<Vec<String>> {
    let ip = parse_ip(addr)?;
    (ip.equal(&IP::from([127, 0, 0, 1])) || ip.equal(&IP::ipv6_loopback()))
        .then(|| vec!["localhost".to_string()])
}

impl Resolver {
    /// A resolver that takes every setting from the host.
    pub fn new() -> Resolver {
        Resolver::default()
    }

    /// A resolver asking these DoH servers, in order.
    pub fn with_servers<S: Into<String>>(servers: impl IntoIterator<Item = S>) -> Resolver {
        Resolver {
            servers: servers.into_iter().map(Into::into).collect(),
            ..Resolver::default()
        }
    }

    /// Go's `LookupPort`: needs no network (a number, or the built-in
    /// service table); async like Go's `Resolver.LookupPort(ctx, ...)`.
    pub async fn lookup_port(&self, network: &str, service: &str) -> Result<u16, Error> {
        super::port::lookup_port(network, service)
    }
}

thread_local! {
    static DEFAULT: RefCell<Resolver> = RefCell::new(Resolver::default());
}

/// The resolver the package-level `lookup_*` functions use (Go's
/// `net.DefaultResolver`).
pub fn default_resolver() -> Resolver {
    DEFAULT.with(|r| r.borrow().clone())
}

/// Replaces the default resolver, e.g. to change DoH servers at run time.
pub fn set_default_resolver(r: Resolver) {
    DEFAULT.with(|d| *d.borrow_mut() = r);
}

/// DoH activity since the bindings were installed: for benchmarks and for
/// checking that the cache and de-duplication work.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DnsStats {
    /// HTTP requests sent to DoH servers.
    pub queries: u64,
    /// Lookups answered from the cache.
    pub cache_hits: u64,
    /// Lookups that joined a query already in flight.
    pub joined: u64,
    /// Names in the cache now.
    pub cache_size: u64,
    /// Queries sent and not yet answered.
    pub in_flight: u64,
}

/// The shared DoH cache's counters (js/dns.ts).
pub fn dns_stats() -> Result<DnsStats, Error> {
    doh::stats()
}

/// Empties the shared DoH cache.
pub fn dns_clear_cache() -> Result<(), Error> {
    doh::clear_cache()
}

impl Resolver {
    /// Go's `LookupHost`: addresses as text; an IP literal is returned
    /// unchanged.
    pub async fn lookup_host(&self, host: &str) -> Result<Vec<String>, Error> {
        if parse_addr(host).is_ok() {
            return Ok(vec![host.to_string()]);
        }
        if let Some(local) = local_answer(host, Family::Any) {
            return local.map(|ips| ips.iter().map(IP::to_string).collect());
        }
        let texts = doh::lookup_host(self, host).await?;
        Ok(parse_answers(&texts, host)?
            .iter()
            .map(IP::to_string)
            .collect())
    }

    /// Go's `LookupIP`: network is "ip" (A then AAAA, queried in
    /// parallel), "ip4" (A) or "ip6" (AAAA).
    pub async fn lookup_ip(&self, network: &str, host: &str) -> Result<Vec<IP>, Error> {
        let family = Family::of(network)?;
        if let Some(local) = local_answer(host, family) {
            return local;
        }
        let texts = doh::lookup_ip(self, network, host).await?;
        filter(parse_answers(&texts, host)?, family, host)
    }

    /// Go's `LookupAddr`: PTR names, absolute (ending in '.').
    pub async fn lookup_addr(&self, addr: &str) -> Result<Vec<String>, Error> {
        let arpa = reverse_addr(addr)?;
        if let Some(names) = local_names(addr) {
            return Ok(names);
        }
        ptr_names(doh::lookup_addr(self, &arpa).await?, addr)
    }
}

/// Go's `net.LookupHost` on the default resolver.
pub async fn lookup_host(host: &str) -> Result<Vec<String>, Error> {
    default_resolver().lookup_host(host).await
}

/// Go's `net.LookupIP` on the default resolver ("ip", "ip4", "ip6").
pub async fn lookup_ip(network: &str, host: &str) -> Result<Vec<IP>, Error> {
    default_resolver().lookup_ip(network, host).await
}

/// Go's `net.LookupAddr` on the default resolver.
pub async fn lookup_addr(addr: &str) -> Result<Vec<String>, Error> {
    default_resolver().lookup_addr(addr).await
}

/// Go's `net.LookupPort`: no network needed ("tcp", "https") -> 443.
pub async fn lookup_port(network: &str, service: &str) -> Result<u16, Error> {
    super::port::lookup_port(network, service)
}

/// The queries, through js/dns.ts.
#[cfg(target_arch = "wasm32")]
mod doh {
    use js_sys::Promise;
    use wasm_bindgen::JsValue;

    use super::{DnsStats, Error, Overrides, Resolver};
    use crate::host::bindings as js;

    fn overrides(r: &Resolver) -> Result<JsValue, Error> {
        let o = Overrides {
            servers: &r.servers,
            format: r.format,
            timeout_ms: r.timeout.map(|d| d.as_secs_f64() * 1000.0),
        };
        serde_wasm_bindgen::to_value(&o).map_err(|e| Error::other(format!("resolver options: {e}")))
    }

    async fn strings(p: Result<Promise, Error>) -> Result<Vec<String>, Error> {
        let v = js::settled(p?).await?;
        serde_wasm_bindgen::from_value(v)
            .map_err(|e| Error::other(format!("bad DoH binding result: {e}")))
    }

    pub async fn lookup_host(r: &Resolver, host: &str) -> Result<Vec<String>, Error> {
        strings(js::lookup_host(host, &overrides(r)?)).await
    }
    pub async fn lookup_ip(r: &Resolver, network: &str, host: &str) -> Result<Vec<String>, Error> {
        strings(js::lookup_ip(network, host, &overrides(r)?)).await
    }
    pub async fn lookup_addr(r: &Resolver, arpa: &str) -> Result<Vec<String>, Error> {
        strings(js::lookup_addr(arpa, &overrides(r)?)).await
    }
    pub fn stats() -> Result<DnsStats, Error> {
        let v = js::dns_stats()?;
        serde_wasm_bindgen::from_value(v)
            .map_err(|e| Error::other(format!("bad _netDnsStats result: {e}")))
    }
    pub fn clear_cache() -> Result<(), Error> {
        js::dns_clear_cache()
    }
}

/// Outside a browser there is no DoH client: what needs no query (literals,
/// localhost, name checks, ports) still works; anything else says why not.
#[cfg(not(target_arch = "wasm32"))]
mod doh {
    use super::{DnsStats, Error, Resolver};

    fn unsupported() -> Error {
        Error::unsupported(
            "DNS-over-HTTPS lookups run in the browser (wasm32, after registerNetBindings()); \
             this build has no DoH client",
        )
    }
    pub async fn lookup_host(_: &Resolver, _: &str) -> Result<Vec<String>, Error> {
        Err(unsupported())
    }
    pub async fn lookup_ip(_: &Resolver, _: &str, _: &str) -> Result<Vec<String>, Error> {
        Err(unsupported())
    }
    pub async fn lookup_addr(_: &Resolver, _: &str) -> Result<Vec<String>, Error> {
        Err(unsupported())
    }
    pub fn stats() -> Result<DnsStats, Error> {
        Err(unsupported())
    }
    pub fn clear_cache() -> Result<(), Error> {
        Err(unsupported())
    }
}
