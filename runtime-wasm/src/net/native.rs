//! Outside a browser (a host that also builds natively, as Vo's web
//! runtime does): the types the extern table names, with no value that can
//! exist, and `Dial` saying why. The table itself is the same on every
//! target, so a host needs no `cfg` around it; calls that need a browser
//! return this error, the rest (addresses, name rules, sentinels, the
//! errors of what a page cannot do) work as in the page.

use std::time::Duration;

pub use std::time::SystemTime;

use super::dial::dial_target;
use super::error::Error;

/// The error of a call that needs the browser's sockets.
pub(crate) fn no_browser(op: &str, network: &str, address: &str) -> Error {
    Error::op(
        op,
        network,
        (!address.is_empty()).then_some(address),
        Error::unsupported(
            "sockets run in the browser (wasm32, after registerNetBindings()); this build has none",
        ),
    )
}

/// Go's `net.Conn` outside a page: no value exists.
#[derive(Debug)]
pub enum Conn {}

impl Conn {
    pub(crate) fn set_deadline(&self, _: Option<SystemTime>) -> Result<(), Error> {
        match *self {}
    }
    pub(crate) fn set_read_deadline(&self, _: Option<SystemTime>) -> Result<(), Error> {
        match *self {}
    }
    pub(crate) fn set_write_deadline(&self, _: Option<SystemTime>) -> Result<(), Error> {
        match *self {}
    }
    pub(crate) fn local_addr(&self) -> &str {
        match *self {}
    }
    pub(crate) fn remote_addr(&self) -> &str {
        match *self {}
    }
    pub(crate) fn close_now(&self) -> Result<(), Error> {
        match *self {}
    }
}

impl super::PacketConn {
    pub(crate) fn set_deadline(&self, _: Option<SystemTime>) -> Result<(), Error> {
        match *self {}
    }
    pub(crate) fn set_read_deadline(&self, _: Option<SystemTime>) -> Result<(), Error> {
        match *self {}
    }
    pub(crate) fn set_write_deadline(&self, _: Option<SystemTime>) -> Result<(), Error> {
        match *self {}
    }
    pub(crate) fn local_addr(&self) -> &str {
        match *self {}
    }
    pub(crate) fn close(&self) -> Result<(), Error> {
        match *self {}
    }
}

/// Go's `net.Dial` outside a page: Go's errors for a bad network or
/// address, else [`no_browser`].
pub(crate) async fn dial(network: &str, address: &str) -> Result<Conn, Error> {
    dial_target(network, address)?;
    Err(no_browser("dial", network, address))
}

pub(crate) async fn dial_timeout(network: &str, address: &str, _: Duration) -> Result<Conn, Error> {
    dial(network, address).await
}
