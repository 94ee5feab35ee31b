//! The `net` externs Vo's standard library declares (lang/stdlib/net/net.vo
//! at volang c7e9e522; the copy is testdata/vo-externs.txt), with Vo's
//! exact names and types. See `crate::externs` for the calling model and
//! docs/externs.md's extern table.
//!
//! Stream Conns are handles (ints, never 0) into one table here: `dial`
//! fills it (a WebSocket, or a TCP stream through the host's relay) and
//! every `tcpConn*` extern drives whatever stream is behind the handle, so
//! a Vo `TCPConn` works over either. `listenPacket` fills a second table of
//! PacketConns (UDP through the relay) for the `udpConn*` externs; both
//! draw handles from one counter, so a handle of one kind never names a
//! value of the other. Close removes the handle; later calls on it return
//! `ErrClosed`. What a page cannot do (listening, unix sockets) answers
//! with Go's error saying so and what to use.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use super::dial::unsupported_network;
use super::error::NET_SENTINELS;
#[cfg(not(target_arch = "wasm32"))]
use super::native::{dial, dial_timeout, no_browser, Conn};
use super::{
    listen, listen_packet, lookup_addr, lookup_host, lookup_ip, resolve_tcp_addr, resolve_udp_addr,
    Error, IPEndpoint, PacketConn, SystemTime,
};
#[cfg(target_arch = "wasm32")]
use super::{dial, dial_timeout, Conn};
use crate::externs::Kind::{self, Bytes, Duration as Dur, Int, Int64, Str, Strings, IPs, TCPAddr, UDPAddr};
use crate::externs::{
    register_table, results, Args, Declared, Extern, ExternRegistry, RegisterError, SockAddr, Step,
    Value, ERROR,
};
#[cfg(target_arch = "wasm32")]
use crate::externs::Resume;

thread_local! {
    static CONNS: RefCell<HashMap<i64, Rc<Conn>>> = RefCell::new(HashMap::new());
    static PACKETS: RefCell<HashMap<i64, Rc<PacketConn>>> = RefCell::new(HashMap::new());
    static NEXT_HANDLE: Cell<i64> = const { Cell::new(1) };
}

fn next_handle() -> i64 {
    NEXT_HANDLE.with(|n| n.replace(n.get() + 1))
}

fn add_conn(c: Conn) -> i64 {
    let id = next_handle();
    CONNS.with(|t| t.borrow_mut().insert(id, Rc::new(c)));
    id
}

fn conn(id: i64) -> Option<Rc<Conn>> {
    CONNS.with(|t| t.borrow().get(&id).cloned())
}

fn add_packet(c: PacketConn) -> i64 {
    let id = next_handle();
    PACKETS.with(|t| t.borrow_mut().insert(id, Rc::new(c)));
    id
}

fn packet(id: i64) -> Option<Rc<PacketConn>> {
    PACKETS.with(|t| t.borrow().get(&id).cloned())
}

/// Conns and PacketConns the VM holds (for leak checks: 0 once every one is closed).
pub fn extern_conn_count() -> usize {
    CONNS.with(|t| t.borrow().len()) + PACKETS.with(|t| t.borrow().len())
}

// Errors are Go's whole errors (`dial ws URL: i/o timeout`, whose root is
// Vo's ErrTimeout): a VM's adapter returns a sentinel itself when the error
// *is* one and wraps it as the cause when the error only ends in one
// (`runtime_wasm::vo` does both), so the text and `errors.Is` both hold.

fn handle_result(r: Result<i64, Error>) -> Vec<Value> {
    match r {
        Ok(id) => vec![Value::Int(id), Value::Nil],
        Err(e) => vec![Value::Int(0), Value::Error(e)],
    }
}

fn count_result(n: usize, e: Option<Error>) -> Vec<Value> {
    vec![Value::Int(n as i64), Value::err(e)]
}

fn error_result(r: Result<(), Error>) -> Vec<Value> {
    vec![Value::err(r.err())]
}

fn dial_ext(a: &mut Args<'_, '_>, _: Option<u64>) -> Step {
    let (network, address) = (a.str(0).to_string(), a.str(1).to_string());
    // time.Duration: 0 or less is no timeout.
    let timeout = Duration::from_nanos(a.int(2).max(0) as u64);
    results(async move {
        let r = if timeout.is_zero() {
            dial(&network, &address).await
        } else {
            dial_timeout(&network, &address, timeout).await
        };
        handle_result(r.map(add_conn))
    })
}

/// Outside a browser no Conn or PacketConn exists (`dial` and
/// `listenPacket` say why), so every handle is stale.
#[cfg(not(target_arch = "wasm32"))]
fn stream_read(_: &mut Args<'_, '_>, _: Option<u64>) -> Step {
    Step::Done(count_result(0, Some(no_browser("read", "tcp", ""))))
}
#[cfg(not(target_arch = "wasm32"))]
fn stream_write(_: &mut Args<'_, '_>, _: Option<u64>) -> Step {
    Step::Done(count_result(0, Some(no_browser("write", "tcp", ""))))
}
#[cfg(not(target_arch = "wasm32"))]
fn udp_read_from(_: &mut Args<'_, '_>, _: Option<u64>) -> Step {
    let e = Value::Error(no_browser("read", "udp", ""));
    Step::Done(vec![Value::Int(0), Value::Str(String::new()), e])
}
#[cfg(not(target_arch = "wasm32"))]
fn udp_write_to(_: &mut Args<'_, '_>, _: Option<u64>) -> Step {
    Step::Done(count_result(0, Some(no_browser("write", "udp", ""))))
}

/// `blocking_tcpConnRead(handle, b)`: Go's poller pattern. Queued bytes go
/// straight into `b` (the guest's memory); when none are queued the call
/// waits for readiness and, replayed, tries again.
#[cfg(target_arch = "wasm32")]
fn stream_read(a: &mut Args<'_, '_>, _: Option<u64>) -> Step {
    let Some(c) = conn(a.int(0)) else {
        return Step::Done(count_result(0, Some(Error::Closed)));
    };
    let mut dest = a.dest(1);
    if dest.is_empty() {
        return Step::Done(count_result(0, None));
    }
    match c.try_read(&dest.js()) {
        Ok(Some(n)) => Step::Done(count_result(n, None)),
        Err(e) => Step::Done(count_result(0, Some(e))),
        Ok(None) => Step::Wait(Box::pin(async move {
            // Whatever ended the wait (data, the end, a deadline, Close),
            // the replay's attempt reports it.
            let _ = c.ready().await;
            Resume::Retry(0)
        })),
    }
}

/// `blocking_tcpConnWrite(handle, b)`: Go's Write, all of `b` or the count
/// and the error. What the socket cannot take now is copied by the table;
/// the replay carries how much was sent.
#[cfg(target_arch = "wasm32")]
fn stream_write(a: &mut Args<'_, '_>, sent: Option<u64>) -> Step {
    let sent = sent.unwrap_or(0) as usize;
    let data = a.data(1);
    let Some(c) = conn(a.int(0)) else {
        return Step::Done(count_result(sent, Some(Error::Closed)));
    };
    if sent >= data.len() {
        return Step::Done(count_result(data.len(), None));
    }
    match c.start_write(&data.js_from(sent)) {
        Err(e) => Step::Done(count_result(sent, Some(e))),
        Ok(v) => Step::Wait(Box::pin(async move {
            match c.finish_write(v).await {
                Ok(n) => Resume::Retry((sent + n) as u64),
                Err(e) => Resume::Results(count_result(sent, Some(e))),
            }
        })),
    }
}

fn stream_close(a: &mut Args<'_, '_>) -> Vec<Value> {
    match CONNS.with(|t| t.borrow_mut().remove(&a.int(0))) {
        Some(c) => error_result(c.close_now()),
        None => error_result(Err(Error::Closed)),
    }
}

/// One end's address; "" once the handle is closed (a VM that needs it
/// after Close should keep what it read).
fn addr_of(a: &mut Args<'_, '_>, local: bool) -> Vec<Value> {
    let s = conn(a.int(0)).map_or_else(String::new, |c| {
        if local {
            c.local_addr().to_string()
        } else {
            c.remote_addr().to_string()
        }
    });
    vec![Value::Str(s)]
}

/// A deadline as Unix nanoseconds; 0 or less is no deadline.
fn deadline(ns: i64) -> Option<SystemTime> {
    (ns > 0).then(|| SystemTime::UNIX_EPOCH + Duration::from_nanos(ns as u64))
}

fn set_deadline(a: &Args<'_, '_>, which: fn(&Conn, Option<SystemTime>) -> Result<(), Error>) -> Vec<Value> {
    error_result(match conn(a.int(0)) {
        Some(c) => which(&c, deadline(a.int(1))),
        None => Err(Error::Closed),
    })
}

/// `blocking_udpConnReadFrom(handle, p)`: one datagram into `p` and where
/// it came from; the poller pattern of `stream_read`.
#[cfg(target_arch = "wasm32")]
fn udp_read_from(a: &mut Args<'_, '_>, _: Option<u64>) -> Step {
    let fail = |e: Error| vec![Value::Int(0), Value::Str(String::new()), Value::Error(e)];
    let Some(c) = packet(a.int(0)) else {
        return Step::Done(fail(Error::Closed));
    };
    match c.try_read_from(&a.dest(1).js()) {
        Ok(Some((n, from))) => Step::Done(vec![Value::Int(n as i64), Value::Str(from), Value::Nil]),
        Err(e) => Step::Done(fail(e)),
        Ok(None) => Step::Wait(Box::pin(async move {
            let _ = c.ready().await;
            Resume::Retry(0)
        })),
    }
}

/// `blocking_udpConnWriteTo(handle, p, addr)`: one datagram, all or nothing.
#[cfg(target_arch = "wasm32")]
fn udp_write_to(a: &mut Args<'_, '_>, _: Option<u64>) -> Step {
    let Some(c) = packet(a.int(0)) else {
        return Step::Done(count_result(0, Some(Error::Closed)));
    };
    let addr = a.str(2).to_string();
    match c.start_write_to(&a.data(1).js_from(0), &addr) {
        Err(e) => Step::Done(count_result(0, Some(e))),
        Ok(v) => Step::Wait(Box::pin(async move {
            Resume::Results(match c.finish_write(v, &addr).await {
                Ok(n) => count_result(n, None),
                Err(e) => count_result(0, Some(e)),
            })
        })),
    }
}

fn udp_close(a: &mut Args<'_, '_>) -> Vec<Value> {
    match PACKETS.with(|t| t.borrow_mut().remove(&a.int(0))) {
        Some(c) => error_result(c.close()),
        None => error_result(Err(Error::Closed)),
    }
}

fn udp_set_deadline(a: &Args<'_, '_>, which: fn(&PacketConn, Option<SystemTime>) -> Result<(), Error>) -> Vec<Value> {
    error_result(match packet(a.int(0)) {
        Some(c) => which(&c, deadline(a.int(1))),
        None => Err(Error::Closed),
    })
}

/// Errors of the handle kinds no call can create in a page (listeners and
/// unix sockets): Go's OpError saying why no such handle exists.
fn no_handle(op: &str, net: &str, what: &str) -> Error {
    Error::op(
        op,
        net,
        None,
        Error::unsupported(format!(
            "{what} are not available in browser WebAssembly, so no such handle exists"
        )),
    )
}

fn listener_err(op: &str, net: &str) -> Error {
    no_handle(op, net, "listening sockets")
}
fn unix_err(op: &str) -> Error {
    no_handle(op, "unix", "unix sockets")
}

/// `*TCPAddr` / `*UDPAddr`: the record, or nil with the error.
fn addr_result(r: Result<IPEndpoint, Error>) -> Vec<Value> {
    match r {
        Ok(a) => vec![
            Value::Addr(SockAddr {
                ip: a.ip.map(|ip| ip.as_bytes().to_vec()).unwrap_or_default(),
                port: a.port.into(),
                zone: a.zone,
            }),
            Value::Nil,
        ],
        Err(e) => vec![Value::Nil, Value::Error(e)],
    }
}

fn strings_result(r: Result<Vec<String>, Error>) -> Vec<Value> {
    match r {
        Ok(v) => vec![Value::strings(v), Value::Nil],
        Err(e) => vec![Value::Nil, Value::Error(e)],
    }
}

const NET_ADDR: &[(&str, Kind)] = &[("network", Str), ("address", Str)];
const HANDLE: &[(&str, Kind)] = &[("handle", Int)];
const HANDLE_B: &[(&str, Kind)] = &[("handle", Int), ("b", Bytes)];
const HANDLE_P: &[(&str, Kind)] = &[("handle", Int), ("p", Bytes)];
const HANDLE_NS: &[(&str, Kind)] = &[("handle", Int), ("deadlineNs", Int64)];
const ADDRESS: &[(&str, Kind)] = &[("address", Str)];
const INT_ERR: &[Kind] = &[Int, ERROR];
const ERR: &[Kind] = &[ERROR];
const STR: &[Kind] = &[Str];

macro_rules! now {
    ($name:literal, $go:literal, $params:expr, $results:expr, $f:expr) => {
        Extern::now("net", $name, $go, $params, $results, $f)
    };
}
macro_rules! wait {
    ($name:literal, $go:literal, $params:expr, $results:expr, $f:expr) => {
        Extern::wait("net", $name, $go, $params, $results, $f)
    };
}

/// Every `net` extern, in Vo's declaration order.
pub static EXTERNS: [Extern; 37] = [
    now!("getNetErrors", "net.ErrClosed, ErrTimeout, ErrConnectionRefused, ErrConnectionReset, ErrAddressInUse, ErrAddressNotAvailable", &[], &[ERROR; 6], |_| {
        NET_SENTINELS.iter().cloned().map(Value::Error).collect()
    }),
    wait!("dial", "net.Dial, net.DialTimeout", &[("network", Str), ("address", Str), ("timeout", Dur)], INT_ERR, dial_ext),
    now!("listen", "net.Listen", NET_ADDR, INT_ERR, |a| {
        handle_result(listen(a.str(0), a.str(1)).map(|l| match l {}))
    }),
    now!("listenPacket", "net.ListenPacket", NET_ADDR, INT_ERR, |a| {
        handle_result(listen_packet(a.str(0), a.str(1)).map(add_packet))
    }),
    wait!("blocking_tcpConnRead", "net.TCPConn.Read", HANDLE_B, INT_ERR, stream_read),
    wait!("blocking_tcpConnWrite", "net.TCPConn.Write", HANDLE_B, INT_ERR, stream_write),
    now!("tcpConnClose", "net.TCPConn.Close", HANDLE, ERR, stream_close),
    now!("tcpConnLocalAddr", "net.TCPConn.LocalAddr", HANDLE, STR, |a| addr_of(a, true)),
    now!("tcpConnRemoteAddr", "net.TCPConn.RemoteAddr", HANDLE, STR, |a| addr_of(a, false)),
    now!("tcpConnSetDeadline", "net.TCPConn.SetDeadline", HANDLE_NS, ERR, |a| set_deadline(a, Conn::set_deadline)),
    now!("tcpConnSetReadDeadline", "net.TCPConn.SetReadDeadline", HANDLE_NS, ERR, |a| set_deadline(a, Conn::set_read_deadline)),
    now!("tcpConnSetWriteDeadline", "net.TCPConn.SetWriteDeadline", HANDLE_NS, ERR, |a| set_deadline(a, Conn::set_write_deadline)),
    now!("blocking_tcpListenerAccept", "net.TCPListener.Accept", HANDLE, INT_ERR, |_| handle_result(Err(listener_err("accept", "tcp")))),
    now!("tcpListenerClose", "net.TCPListener.Close", HANDLE, ERR, |_| error_result(Err(listener_err("close", "tcp")))),
    now!("tcpListenerAddr", "net.TCPListener.Addr", HANDLE, STR, |_| vec![Value::Str(String::new())]),
    wait!("blocking_udpConnReadFrom", "net.UDPConn.ReadFrom", HANDLE_P, &[Int, Str, ERROR], udp_read_from),
    wait!("blocking_udpConnWriteTo", "net.UDPConn.WriteTo", &[("handle", Int), ("p", Bytes), ("addr", Str)], INT_ERR, udp_write_to),
    now!("udpConnClose", "net.UDPConn.Close", HANDLE, ERR, udp_close),
    now!("udpConnLocalAddr", "net.UDPConn.LocalAddr", HANDLE, STR, |a| {
        vec![Value::Str(packet(a.int(0)).map_or_else(String::new, |c| c.local_addr().to_string()))]
    }),
    now!("udpConnSetDeadline", "net.UDPConn.SetDeadline", HANDLE_NS, ERR, |a| udp_set_deadline(a, PacketConn::set_deadline)),
    now!("udpConnSetReadDeadline", "net.UDPConn.SetReadDeadline", HANDLE_NS, ERR, |a| udp_set_deadline(a, PacketConn::set_read_deadline)),
    now!("udpConnSetWriteDeadline", "net.UDPConn.SetWriteDeadline", HANDLE_NS, ERR, |a| udp_set_deadline(a, PacketConn::set_write_deadline)),
    now!("unixDial", "net.Dial(\"unix\")", ADDRESS, INT_ERR, |a| handle_result(Err(unsupported_network("dial", "unix", a.str(0))))),
    now!("unixListen", "net.Listen(\"unix\")", ADDRESS, INT_ERR, |a| handle_result(Err(unsupported_network("listen", "unix", a.str(0))))),
    now!("blocking_unixConnRead", "net.UnixConn.Read", HANDLE_B, INT_ERR, |_| count_result(0, Some(unix_err("read")))),
    now!("blocking_unixConnWrite", "net.UnixConn.Write", HANDLE_B, INT_ERR, |_| count_result(0, Some(unix_err("write")))),
    now!("unixConnSetDeadline", "net.UnixConn.SetDeadline", HANDLE_NS, ERR, |_| error_result(Err(unix_err("set")))),
    now!("unixConnSetReadDeadline", "net.UnixConn.SetReadDeadline", HANDLE_NS, ERR, |_| error_result(Err(unix_err("set")))),
    now!("unixConnSetWriteDeadline", "net.UnixConn.SetWriteDeadline", HANDLE_NS, ERR, |_| error_result(Err(unix_err("set")))),
    now!("unixConnClose", "net.UnixConn.Close", HANDLE, ERR, |_| error_result(Err(unix_err("close")))),
    now!("blocking_unixListenerAccept", "net.UnixListener.Accept", HANDLE, INT_ERR, |_| handle_result(Err(listener_err("accept", "unix")))),
    now!("unixListenerClose", "net.UnixListener.Close", HANDLE, ERR, |_| error_result(Err(listener_err("close", "unix")))),
    wait!("resolveTCPAddr", "net.ResolveTCPAddr", NET_ADDR, &[TCPAddr, ERROR], |a, _| {
        let (n, s) = (a.str(0).to_string(), a.str(1).to_string());
        results(async move { addr_result(resolve_tcp_addr(&n, &s).await) })
    }),
    wait!("resolveUDPAddr", "net.ResolveUDPAddr", NET_ADDR, &[UDPAddr, ERROR], |a, _| {
        let (n, s) = (a.str(0).to_string(), a.str(1).to_string());
        results(async move { addr_result(resolve_udp_addr(&n, &s).await) })
    }),
    wait!("lookupHost", "net.LookupHost", &[("host", Str)], &[Strings, ERROR], |a, _| {
        let host = a.str(0).to_string();
        results(async move { strings_result(lookup_host(&host).await) })
    }),
    wait!("lookupIP", "net.LookupIP", &[("host", Str)], &[IPs, ERROR], |a, _| {
        let host = a.str(0).to_string();
        results(async move {
            match lookup_ip("ip", &host).await {
                Ok(ips) => vec![
                    Value::List(ips.iter().map(|ip| Value::Bytes(ip.as_bytes().to_vec())).collect()),
                    Value::Nil,
                ],
                Err(e) => vec![Value::Nil, Value::Error(e)],
            }
        })
    }),
    wait!("lookupAddr", "net.LookupAddr", &[("addr", Str)], &[Strings, ERROR], |a, _| {
        let addr = a.str(0).to_string();
        results(async move { strings_result(lookup_addr(&addr).await) })
    }),
];

/// Registers the `net` externs among `declared` (a module's extern names in
/// any spelling, or (package, function) pairs, in declaration order: the id
/// passed to the registry is the position). Other packages' declarations
/// are skipped; a `net` declaration this crate does not provide is reported
/// (the others are registered anyway).
pub fn register_externs<R: ExternRegistry + ?Sized, D: Declared>(
    registry: &mut R,
    declared: &[D],
) -> Result<usize, RegisterError> {
    register_table("net", &EXTERNS, registry, declared)
}
