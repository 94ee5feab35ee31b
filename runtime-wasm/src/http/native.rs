//! Outside a browser: what the extern table names, with no response that
//! can exist. `Client::do` fails with Go's `url.Error` saying why; the
//! request-id lifecycle, the header and URL checks work as in the page.

use std::time::Duration;

use super::{Header, Request};
use crate::net::{Error, UrlError};

/// The client the externs use; natively it has no transport.
#[derive(Debug, Default)]
pub(crate) struct Client;

impl Client {
    pub(crate) fn new() -> Client {
        Client
    }
    pub(crate) fn with_timeout(_: Duration) -> Client {
        Client
    }
    pub(crate) async fn r#do(&self, req: Request) -> Result<Response, Error> {
        let mut c = req.method.chars();
        let op = c.next().map_or_else(|| "Get".into(), |f| f.to_string() + &c.as_str().to_ascii_lowercase());
        Err(Error::Url(UrlError {
            op,
            url: req.url.to_string(),
            err: Box::new(Error::unsupported(
                "fetch runs in the browser (wasm32, after registerNetBindings()); this build has no HTTP client",
            )),
        }))
    }
}

/// A response: none exists natively (its body cannot).
pub(crate) struct Response {
    pub(crate) status: String,
    pub(crate) status_code: u16,
    pub(crate) proto: String,
    pub(crate) header: Header,
    pub(crate) content_length: i64,
    pub(crate) body: ResponseBody,
}

/// A streamed body: no value exists natively.
pub(crate) enum ResponseBody {}

impl ResponseBody {
    pub(crate) async fn bytes(&self) -> Result<Vec<u8>, Error> {
        match *self {}
    }
    pub(crate) fn close(&self) -> Result<(), Error> {
        match *self {}
    }
}
