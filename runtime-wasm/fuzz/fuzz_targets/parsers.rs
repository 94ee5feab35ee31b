//! Every parser a guest's string reaches, on arbitrary bytes read as UTF-8
//! (lossily, so multi-byte characters land next to `%`, `:` and `[`). The
//! first byte picks the family; any panic is a finding (in the browser it
//! would be a wasm trap).
#![no_main]

use libfuzzer_sys::fuzz_target;
use runtime_wasm::http::{canonical_header_key, new_request, parse_header_lines, url, Body, Header};
use runtime_wasm::net::*;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let s = String::from_utf8_lossy(rest);
    let (a, b) = s.split_once('\u{1}').unwrap_or((&s, ""));
    match which % 3 {
        // URL: Go's url.Parse and NewRequest.
        0 => {
            if let Ok(u) = url::parse(a) {
                let _ = (u.hostname(), u.port(), u.to_string());
            }
            let _ = url::query_escape(a);
            let _ = new_request(b, a, Body::Empty);
        }
        // Header lines as the request externs carry them.
        1 => {
            let mut h = Header::new();
            let lines: Vec<String> = s.split('\n').map(str::to_string).collect();
            let _ = parse_header_lines(&mut h, &lines);
            let _ = canonical_header_key(a);
            let _ = h.pairs().count();
        }
        // Addresses: IPs, CIDRs, host:port, dial targets.
        _ => {
            let _ = parse_ip(a);
            if let Ok((ip, net)) = parse_cidr(a) {
                // What Go answers: an IPv4-mapped address is compared as
                // IPv4, so a network that is not IPv4-mapped itself (a mask
                // under 96 bits) does not contain it (`::FFFF:FF:FFFF/1`).
                let go = ip.to4().is_none() || net.ip.to4().is_some();
                assert_eq!(net.contains(&ip), go, "{a}");
            }
            let _ = split_host_port(a);
            let _ = join_host_port(a, b);
            let _ = dial_url(a, b);
            let _ = resolve_unix_addr(a, b);
        }
    }
});
