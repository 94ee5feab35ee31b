//! Go's `net.SplitHostPort` and `net.JoinHostPort`, with Go's exact error
//! reasons (tests compare them as strings). Current Go: a zone without
//! brackets (`localhost%lo0:80`) is accepted, and only ':' makes
//! JoinHostPort bracket.

use super::error::{AddrError, Error};

/// Splits `"host:port"`, `"[host]:port"` or `"[ipv6-host%zone]:port"`.
/// The host and port are not validated, as in Go.
pub fn split_host_port(hostport: &str) -> Result<(String, String), Error> {
    let fail = |reason: &str| {
        Err(Error::Addr(AddrError {
            err: reason.into(),
            addr: hostport.into(),
        }))
    };
    const MISSING_PORT: &str = "missing port in address";
    const TOO_MANY_COLONS: &str = "too many colons in address";

    // The port starts after the last colon.
    let Some(i) = hostport.rfind(':') else {
        return fail(MISSING_PORT);
    };
    let b = hostport.as_bytes();
    let (host, j, k);
    if b[0] == b'[' {
        // Expect the first ']' just before the last ':'.
        let Some(end) = hostport.find(']') else {
            return fail("missing ']' in address");
        };
        if end + 1 == hostport.len() {
            return fail(MISSING_PORT); // no ':' can follow the ']'
        } else if end + 1 != i {
            // ']' is followed by something other than the last colon.
            return fail(if b[end + 1] == b':' {
                TOO_MANY_COLONS
            } else {
                MISSING_PORT
            });
        }
        host = &hostport[1..end];
        (j, k) = (1, end + 1); // no '[' resp. ']' may appear before these
    } else {
        host = &hostport[..i];
        if host.contains(':') {
            return fail(TOO_MANY_COLONS);
        }
        (j, k) = (0, 0);
    }
    if hostport[j..].contains('[') {
        return fail("unexpected '[' in address");
    }
    if hostport[k..].contains(']') {
        return fail("unexpected ']' in address");
    }
    Ok((host.to_string(), hostport[i + 1..].to_string()))
}

/// Joins host and port, bracketing a host that contains ':' (an IPv6
/// literal). Like current Go, a '%' alone does not bracket.
pub fn join_host_port(host: &str, port: &str) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}
