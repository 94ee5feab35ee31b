//! The `net` externs a VM's stdlib declares (see `crate::externs` for the
//! calling model and README "Externs" for the Go-name table).
//!
//! Conns are handles (ints) into a table here; Close removes the handle.
//! Everything a page cannot do (TCP, UDP, unix sockets, listening) answers
//! with Go's error saying so and what to use instead; since `net_listen`
//! never succeeds, every listener and packet-conn handle is invalid and its
//! methods say why.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use super::dial::{is_socket_network, unsupported_network};
use super::{
    dial, dial_timeout, listen, listen_packet, lookup_addr, lookup_host, lookup_ip, lookup_port,
    resolve_tcp_addr, resolve_udp_addr, resolve_unix_addr, Addr, Conn, Error, IPEndpoint,
    SystemTime,
};
use crate::externs::Kind::{self, Bool, Bytes, BytesList, Int, Str, Strings};
use crate::externs::{
    boxed, register_table, Args, Extern, ExternFuture, ExternRegistry, RegisterError, Value, ERROR,
};

thread_local! {
    static CONNS: RefCell<HashMap<i64, Rc<Conn>>> = RefCell::new(HashMap::new());
    static NEXT_CONN: Cell<i64> = const { Cell::new(1) };
}

fn add_conn(c: Conn) -> i64 {
    let id = NEXT_CONN.with(|n| n.replace(n.get() + 1));
    CONNS.with(|t| t.borrow_mut().insert(id, Rc::new(c)));
    id
}

fn conn(id: i64) -> Option<Rc<Conn>> {
    CONNS.with(|t| t.borrow().get(&id).cloned())
}

/// Conns the VM holds (for leak checks: 0 once every Conn is closed).
pub fn extern_conn_count() -> usize {
    CONNS.with(|t| t.borrow().len())
}

/// The error for an op on a handle that is closed or was never issued:
/// Go's `ErrClosed` inside an `OpError`.
fn closed(op: &str) -> Error {
    Error::op(op, "", None, Error::Closed)
}

/// `(handle, error)` results.
fn handle_result(r: Result<i64, Error>) -> Vec<Value> {
    match r {
        Ok(id) => vec![Value::Int(id), Value::Nil],
        Err(e) => vec![Value::Int(0), Value::Error(e)],
    }
}

fn error_result(r: Result<(), Error>) -> Vec<Value> {
    vec![Value::err(r.err())]
}

fn dial_ext(a: Args) -> ExternFuture {
    let (network, address) = (a.str(0).to_string(), a.str(1).to_string());
    boxed(async move { handle_result(dial(&network, &address).await.map(add_conn)) })
}

fn dial_timeout_ext(a: Args) -> ExternFuture {
    let (network, address) = (a.str(0).to_string(), a.str(1).to_string());
    // Go: a zero or negative timeout means none.
    let timeout = Duration::from_nanos(a.int(2).max(0) as u64);
    boxed(async move {
        let r = if timeout.is_zero() {
            dial(&network, &address).await
        } else {
            dial_timeout(&network, &address, timeout).await
        };
        handle_result(r.map(add_conn))
    })
}

/// DialTCP / DialUDP / DialUnix and their Listen twins: Go's network check,
/// then the browser's answer.
fn socket_op(op: &str, family: &[&str], network: &str, address: &str) -> Vec<Value> {
    let e = if family.contains(&network) && is_socket_network(network) {
        unsupported_network(op, network, address)
    } else {
        Error::op(
            op,
            network,
            None,
            Error::UnknownNetwork {
                net: network.into(),
            },
        )
    };
    handle_result(Err(e))
}

const TCP: &[&str] = &["tcp", "tcp4", "tcp6"];
const UDP: &[&str] = &["udp", "udp4", "udp6"];
const UNIX: &[&str] = &["unix", "unixgram", "unixpacket"];

fn conn_read(a: Args) -> ExternFuture {
    let (id, max) = (a.int(0), a.read_max(1));
    boxed(async move {
        let Some(c) = conn(id) else {
            return vec![Value::Bytes(Vec::new()), Value::Error(closed("read"))];
        };
        match c.read_vec(max).await {
            Ok(b) => vec![Value::Bytes(b), Value::Nil],
            Err(e) => vec![Value::Bytes(Vec::new()), Value::Error(e)],
        }
    })
}

fn conn_write(mut a: Args) -> ExternFuture {
    let (id, data) = (a.int(0), a.bytes(1));
    boxed(async move {
        let Some(c) = conn(id) else {
            return vec![Value::Int(0), Value::Error(closed("write"))];
        };
        // Go's Write: all of it, or the count so far and the error.
        let mut sent = 0;
        while sent < data.len() {
            match c.write(&data[sent..]).await {
                Ok(n) => sent += n,
                Err(e) => return vec![Value::Int(sent as i64), Value::Error(e)],
            }
        }
        vec![Value::Int(sent as i64), Value::Nil]
    })
}

fn conn_close(a: Args) -> ExternFuture {
    let id = a.int(0);
    boxed(async move {
        let Some(c) = CONNS.with(|t| t.borrow_mut().remove(&id)) else {
            return vec![Value::Error(closed("close"))];
        };
        error_result(c.close().await)
    })
}

/// `(network, address)` of one end; empty strings once the handle is
/// closed (a VM should keep the addresses it read after Dial).
fn addr_of(id: i64, local: bool) -> Vec<Value> {
    let (n, s) = conn(id).map_or_else(Default::default, |c| {
        let a = if local {
            c.local_addr()
        } else {
            c.remote_addr()
        };
        (a.network().to_string(), a.to_string())
    });
    vec![Value::Str(n), Value::Str(s)]
}

/// Go's deadline as Unix nanoseconds; 0 is Go's zero Time (no deadline).
fn deadline(ns: i64) -> Option<SystemTime> {
    (ns != 0).then(|| SystemTime::UNIX_EPOCH + Duration::from_nanos(ns.max(0) as u64))
}

fn set_deadline(a: Args, which: fn(&Conn, Option<SystemTime>) -> Result<(), Error>) -> Vec<Value> {
    error_result(match conn(a.int(0)) {
        Some(c) => which(&c, deadline(a.int(1))),
        None => Err(closed("set")),
    })
}

fn no_listener(op: &str) -> Error {
    Error::op(
        op,
        "",
        None,
        Error::unsupported(
            "listening sockets are not available in browser WebAssembly, so no Listener or PacketConn handle is valid (net_listen always fails)",
        ),
    )
}

fn endpoint_result(r: Result<IPEndpoint, Error>) -> Vec<Value> {
    match r {
        Ok(a) => vec![
            Value::Bytes(a.ip.map(|ip| ip.as_bytes().to_vec()).unwrap_or_default()),
            Value::Int(a.port.into()),
            Value::Str(a.zone),
            Value::Nil,
        ],
        Err(e) => vec![
            Value::Bytes(Vec::new()),
            Value::Int(0),
            Value::Str(String::new()),
            Value::Error(e),
        ],
    }
}

fn strings_result(r: Result<Vec<String>, Error>) -> Vec<Value> {
    match r {
        Ok(v) => vec![Value::strings(v), Value::Nil],
        Err(e) => vec![Value::List(Vec::new()), Value::Error(e)],
    }
}

const NET_ADDR: &[(&str, Kind)] = &[("network", Str), ("address", Str)];
const DIAL_ADDRS: &[(&str, Kind)] = &[("network", Str), ("laddr", Str), ("raddr", Str)];
const LISTEN_ADDR: &[(&str, Kind)] = &[("network", Str), ("laddr", Str)];
const CONN: &[(&str, Kind)] = &[("conn", Int)];
const CONN_TIME: &[(&str, Kind)] = &[("conn", Int), ("unixNano", Int)];
const LISTENER: &[(&str, Kind)] = &[("listener", Int)];

/// Every `net` extern, in README order.
pub static EXTERNS: [Extern; 33] = [
    Extern::wait("net_dial", "net.Dial", NET_ADDR, &[Int, ERROR], dial_ext),
    Extern::wait(
        "net_dialTimeout",
        "net.DialTimeout",
        &[("network", Str), ("address", Str), ("timeoutNs", Int)],
        &[Int, ERROR],
        dial_timeout_ext,
    ),
    Extern::now("net_dialTCP", "net.DialTCP", DIAL_ADDRS, &[Int, ERROR], |a| {
        socket_op("dial", TCP, a.str(0), a.str(2))
    }),
    Extern::now("net_dialUDP", "net.DialUDP", DIAL_ADDRS, &[Int, ERROR], |a| {
        socket_op("dial", UDP, a.str(0), a.str(2))
    }),
    Extern::now("net_dialUnix", "net.DialUnix", DIAL_ADDRS, &[Int, ERROR], |a| {
        socket_op("dial", UNIX, a.str(0), a.str(2))
    }),
    Extern::now("net_listen", "net.Listen", NET_ADDR, &[Int, ERROR], |a| {
        handle_result(listen(a.str(0), a.str(1)).map(|l| match l {}))
    }),
    Extern::now("net_listenPacket", "net.ListenPacket", NET_ADDR, &[Int, ERROR], |a| {
        handle_result(listen_packet(a.str(0), a.str(1)).map(|p| match p {}))
    }),
    Extern::now("net_listenTCP", "net.ListenTCP", LISTEN_ADDR, &[Int, ERROR], |a| {
        socket_op("listen", TCP, a.str(0), a.str(1))
    }),
    Extern::now("net_listenUDP", "net.ListenUDP", LISTEN_ADDR, &[Int, ERROR], |a| {
        socket_op("listen", UDP, a.str(0), a.str(1))
    }),
    Extern::now("net_listenUnix", "net.ListenUnix", LISTEN_ADDR, &[Int, ERROR], |a| {
        socket_op("listen", &["unix", "unixpacket"], a.str(0), a.str(1))
    }),
    Extern::now("net_listenUnixgram", "net.ListenUnixgram", LISTEN_ADDR, &[Int, ERROR], |a| {
        socket_op("listen", &["unixgram"], a.str(0), a.str(1))
    }),
    Extern::wait("net_connRead", "net.Conn.Read", &[("conn", Int), ("max", Int)], &[Bytes, ERROR], conn_read),
    Extern::wait("net_connWrite", "net.Conn.Write", &[("conn", Int), ("data", Bytes)], &[Int, ERROR], conn_write),
    Extern::wait("net_connClose", "net.Conn.Close", CONN, &[ERROR], conn_close),
    Extern::now("net_connLocalAddr", "net.Conn.LocalAddr", CONN, &[Str, Str], |a| addr_of(a.int(0), true)),
    Extern::now("net_connRemoteAddr", "net.Conn.RemoteAddr", CONN, &[Str, Str], |a| addr_of(a.int(0), false)),
    Extern::now("net_connSetDeadline", "net.Conn.SetDeadline", CONN_TIME, &[ERROR], |a| {
        set_deadline(a, Conn::set_deadline)
    }),
    Extern::now("net_connSetReadDeadline", "net.Conn.SetReadDeadline", CONN_TIME, &[ERROR], |a| {
        set_deadline(a, Conn::set_read_deadline)
    }),
    Extern::now("net_connSetWriteDeadline", "net.Conn.SetWriteDeadline", CONN_TIME, &[ERROR], |a| {
        set_deadline(a, Conn::set_write_deadline)
    }),
    Extern::now("net_listenerAccept", "net.Listener.Accept", LISTENER, &[Int, ERROR], |_| {
        handle_result(Err(no_listener("accept")))
    }),
    Extern::now("net_listenerClose", "net.Listener.Close", LISTENER, &[ERROR], |_| {
        vec![Value::Error(no_listener("close"))]
    }),
    Extern::now("net_listenerAddr", "net.Listener.Addr", LISTENER, &[Str, Str], |_| {
        vec![Value::Str(String::new()), Value::Str(String::new())]
    }),
    Extern::now(
        "net_packetConnReadFrom",
        "net.PacketConn.ReadFrom",
        &[("conn", Int), ("max", Int)],
        &[Bytes, Str, Str, ERROR],
        |_| {
            let e = Value::Error(no_listener("read"));
            vec![Value::Bytes(Vec::new()), Value::Str(String::new()), Value::Str(String::new()), e]
        },
    ),
    Extern::now(
        "net_packetConnWriteTo",
        "net.PacketConn.WriteTo",
        &[("conn", Int), ("data", Bytes), ("network", Str), ("address", Str)],
        &[Int, ERROR],
        |_| vec![Value::Int(0), Value::Error(no_listener("write"))],
    ),
    Extern::now("net_packetConnClose", "net.PacketConn.Close", CONN, &[ERROR], |_| {
        vec![Value::Error(no_listener("close"))]
    }),
    Extern::wait("net_resolveTCPAddr", "net.ResolveTCPAddr", NET_ADDR, &[Bytes, Int, Str, ERROR], |a| {
        let (n, s) = (a.str(0).to_string(), a.str(1).to_string());
        boxed(async move { endpoint_result(resolve_tcp_addr(&n, &s).await) })
    }),
    Extern::wait("net_resolveUDPAddr", "net.ResolveUDPAddr", NET_ADDR, &[Bytes, Int, Str, ERROR], |a| {
        let (n, s) = (a.str(0).to_string(), a.str(1).to_string());
        boxed(async move { endpoint_result(resolve_udp_addr(&n, &s).await) })
    }),
    Extern::now("net_resolveUnixAddr", "net.ResolveUnixAddr", NET_ADDR, &[Str, Str, ERROR], |a| {
        match resolve_unix_addr(a.str(0), a.str(1)) {
            Ok(u) => vec![Value::Str(u.net), Value::Str(u.name), Value::Nil],
            Err(e) => vec![Value::Str(String::new()), Value::Str(String::new()), Value::Error(e)],
        }
    }),
    Extern::wait("net_lookupHost", "net.LookupHost", &[("host", Str)], &[Strings, ERROR], |a| {
        let host = a.str(0).to_string();
        boxed(async move { strings_result(lookup_host(&host).await) })
    }),
    Extern::wait(
        "net_lookupIP",
        "net.LookupIP (network \"ip\"), net.Resolver.LookupIP",
        &[("network", Str), ("host", Str)],
        &[BytesList, ERROR],
        |a| {
            let (n, h) = (a.str(0).to_string(), a.str(1).to_string());
            boxed(async move {
                match lookup_ip(&n, &h).await {
                    Ok(ips) => vec![
                        Value::List(ips.iter().map(|ip| Value::Bytes(ip.as_bytes().to_vec())).collect()),
                        Value::Nil,
                    ],
                    Err(e) => vec![Value::List(Vec::new()), Value::Error(e)],
                }
            })
        },
    ),
    Extern::wait("net_lookupAddr", "net.LookupAddr", &[("addr", Str)], &[Strings, ERROR], |a| {
        let addr = a.str(0).to_string();
        boxed(async move { strings_result(lookup_addr(&addr).await) })
    }),
    Extern::wait(
        "net_lookupPort",
        "net.LookupPort",
        &[("network", Str), ("service", Str)],
        &[Int, ERROR],
        |a| {
            let (n, s) = (a.str(0).to_string(), a.str(1).to_string());
            boxed(async move {
                match lookup_port(&n, &s).await {
                    Ok(p) => vec![Value::Int(p.into()), Value::Nil],
                    Err(e) => vec![Value::Int(0), Value::Error(e)],
                }
            })
        },
    ),
    // The sentinel errors, for a VM that builds Go's values once:
    // `net_sentinelError("net.ErrClosed")` gives `(error, true)`; every error
    // an extern returns names the sentinel it matches (`Error::sentinel`).
    Extern::now(
        "net_sentinelError",
        "net.ErrClosed, os.ErrDeadlineExceeded, io.EOF, errors.ErrUnsupported, context.Canceled, context.DeadlineExceeded",
        &[("name", Str)],
        &[ERROR, Bool],
        |a| match Error::from_sentinel(a.str(0)) {
            Some(e) => vec![Value::Error(e), Value::Bool(true)],
            None => vec![Value::Nil, Value::Bool(false)],
        },
    ),
];

/// Names `net` answers for: `net_*`, but not Go's subpackages
/// (`net_http_*` is `http::register_externs`'s).
fn owns(name: &str) -> bool {
    const SUBPACKAGES: &[&str] = &[
        "http_",
        "mail_",
        "netip_",
        "rpc_",
        "smtp_",
        "textproto_",
        "url_",
    ];
    name.strip_prefix("net_")
        .is_some_and(|rest| !SUBPACKAGES.iter().any(|p| rest.starts_with(p)))
}

/// Registers the `net` externs among `declared` (a module's extern names, in
/// declaration order: the id passed to the registry is the position). Names
/// of other packages are skipped; a `net_` name this crate does not provide
/// is reported (the others are registered anyway).
pub fn register_externs<R: ExternRegistry + ?Sized, S: AsRef<str>>(
    registry: &mut R,
    declared: &[S],
) -> Result<usize, RegisterError> {
    register_table("net", &EXTERNS, owns, registry, declared)
}
