//! `ListenPacket("udp")` through the host's Wisp relay: Go's `UDPConn` as a
//! `PacketConn`. Each destination gets its own Wisp UDP stream, opened by
//! its first `WriteTo` (js/relay.ts; bounded, least recently used closed
//! first). Datagram boundaries are kept; `ReadFrom` reports the destination
//! as the program named it in `WriteTo`. Deadlines are Go's, as on a Conn.

use std::cell::Cell;
use std::fmt;

use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsValue;

use super::conn::{deadline_ms, SystemTime};
use super::error::{Error, OpError};
use super::hostport::split_host_port;
use super::listen::check_listen_packet;
use super::port::lookup_port;
use crate::host::bindings as js;
use crate::host::pending;
use crate::host::wake::Ready;
use crate::host::read::{self, view_mut};

/// Go's `net.PacketConn` (a `UDPConn`) through the host's relay.
pub struct PacketConn {
    handle: u32,
    network: String,
    local: String,
    closed: Cell<bool>,
}

impl fmt::Debug for PacketConn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PacketConn")
            .field("handle", &self.handle)
            .field("network", &self.network)
            .finish()
    }
}

/// Go's `net.ListenPacket` for "udp", "udp4", "udp6": a PacketConn whose
/// datagrams go through the relay the host configured (an error saying so
/// when there is none, or when it is a wsproxy relay, which carries TCP
/// only). The local address is checked but not used: the relay's sockets
/// are its own, so `local_addr` is the address asked for.
pub fn listen_packet(network: &str, address: &str) -> Result<PacketConn, Error> {
    check_listen_packet(network, address)?;
    let handle = js::udp_listen(network).map_err(|e| {
        Error::op(
            "listen",
            network,
            (!address.is_empty()).then_some(address),
            e,
        )
    })?;
    Ok(PacketConn {
        handle,
        network: network.into(),
        local: if address.is_empty() {
            ":0".into()
        } else {
            address.into()
        },
        closed: Cell::new(false),
    })
}

/// How many PacketConns are open in the JS table (for leak checks).
pub fn open_packet_conn_count() -> Result<u32, Error> {
    js::udp_count()
}

const READ: u32 = 1;
const WRITE: u32 = 2;

impl PacketConn {
    fn op_error(&self, op: &str, addr: Option<&str>, err: Error) -> Error {
        Error::Op(OpError {
            op: op.into(),
            net: self.network.clone(),
            source: Some(self.local.clone()),
            addr: addr.map(Into::into),
            err: Box::new(err),
        })
    }

    fn check_open(&self, op: &str) -> Result<(), Error> {
        if self.closed.get() {
            return Err(self.op_error(op, None, Error::Closed));
        }
        Ok(())
    }

    /// One attempt: `Some((n, from))` with the datagram in `dest` (cut to
    /// its length, as Go's ReadFrom does), or `None` when none is queued
    /// (wait with [`PacketConn::ready`]).
    pub fn try_read_from(&self, dest: &Uint8Array) -> Result<Option<(usize, String)>, Error> {
        self.check_open("read")?;
        let v = js::udp_read_from(self.handle, dest)
            .map_err(|e| self.op_error("read", None, e))?;
        if !Array::is_array(&v) {
            return Ok(None);
        }
        let pair = Array::from(&v);
        let n = pair.get(0).as_f64().unwrap_or(0.0) as usize;
        let from = pair.get(1).as_string().unwrap_or_default();
        Ok(Some((n, from)))
    }

    /// Resolves when a read would not find the queue empty (a datagram, the
    /// read deadline, Close). Dropping it loses nothing.
    pub async fn ready(&self) -> Result<(), Error> {
        self.readiness()?.await;
        Ok(())
    }

    fn readiness(&self) -> Result<Ready, Error> {
        Ready::start(self.handle, js::udp_ready, js::udp_forget).map_err(|e| self.op_error("read", None, e))
    }

    /// Go's `ReadFrom`: waits for a datagram; returns its length (at most
    /// `buf.len()`) and the address it came from.
    pub async fn read_from(&self, buf: &mut [u8]) -> Result<(usize, String), Error> {
        read::read_loop(|| self.try_read_from(&view_mut(buf)), || self.readiness()).await
    }

    /// Hands one datagram to the table: the count at once, or a Promise of
    /// it ([`PacketConn::finish_write`]). `addr` is "host:port" (a name is
    /// resolved by the relay); JS copies what it keeps.
    pub(crate) fn start_write_to(&self, data: &Uint8Array, addr: &str) -> Result<JsValue, Error> {
        self.check_open("write")?;
        let fail = |e: Error| self.op_error("write", Some(addr), e);
        let (host, port) = split_host_port(addr).map_err(fail)?;
        let port = lookup_port(&self.network, &port).map_err(fail)?;
        if host.is_empty() {
            return Err(fail(Error::other("no host: name the destination")));
        }
        super::dial::check_relay_host(&host).map_err(fail)?;
        js::udp_write_to(self.handle, data, &host, port).map_err(fail)
    }

    /// The count of a write started with [`PacketConn::start_write_to`].
    pub(crate) async fn finish_write(&self, v: JsValue, addr: &str) -> Result<usize, Error> {
        let v = pending::settle(self.handle, v, js::udp_forget)
            .await
            .map_err(|e| self.op_error("write", Some(addr), e))?;
        Ok(v.as_f64().unwrap_or(0.0) as usize)
    }

    /// Go's `WriteTo`: sends `buf` as one datagram to `addr` ("host:port").
    /// Waits only while the relay socket is backed up or the destination's
    /// stream is opening, bounded by the write deadline.
    pub async fn write_to(&self, buf: &[u8], addr: &str) -> Result<usize, Error> {
        // SAFETY (the view): JS copies what it keeps before returning.
        let v = self.start_write_to(&unsafe { Uint8Array::view(buf) }, addr)?;
        self.finish_write(v, addr).await
    }

    /// Go's `Close`: closes every destination's stream; pending and later
    /// operations fail with `use of closed network connection`.
    pub fn close(&self) -> Result<(), Error> {
        if self.closed.replace(true) {
            return Err(self.op_error("close", None, Error::Closed));
        }
        js::udp_close(self.handle).map_err(|e| self.op_error("close", None, e))
    }

    fn set(&self, which: u32, t: Option<SystemTime>) -> Result<(), Error> {
        js::udp_set_deadline(self.handle, which, deadline_ms(t))
            .map_err(|e| self.op_error("set", None, e))
    }

    /// Go's `SetDeadline` (read and write); `None` clears.
    pub fn set_deadline(&self, t: Option<SystemTime>) -> Result<(), Error> {
        self.set(READ | WRITE, t)
    }
    /// Go's `SetReadDeadline`.
    pub fn set_read_deadline(&self, t: Option<SystemTime>) -> Result<(), Error> {
        self.set(READ, t)
    }
    /// Go's `SetWriteDeadline`.
    pub fn set_write_deadline(&self, t: Option<SystemTime>) -> Result<(), Error> {
        self.set(WRITE, t)
    }

    /// The local address asked for in `listen_packet` (":0" for none).
    pub fn local_addr(&self) -> &str {
        &self.local
    }
}

impl Drop for PacketConn {
    fn drop(&mut self) {
        if !self.closed.get() {
            let _ = js::udp_release(self.handle);
        }
    }
}
