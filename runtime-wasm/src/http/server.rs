//! Go's server side of net/http. A page cannot accept connections, so every
//! entry point that would serve returns Go's `listen tcp ADDR: ...` error
//! saying so and what to use instead. Registering handlers on a `ServeMux`
//! works (it only records patterns), so shared code that builds a mux still
//! compiles and runs up to the point where it would serve.

use crate::net::{Error, OpError};

const NO_SERVERS: &str = "HTTP servers are not available in browser WebAssembly: a page cannot accept \
     connections (serve from a real server, or answer requests inside the browser with a Service Worker)";

fn serve_error(addr: &str) -> Error {
    Error::Op(OpError {
        op: "listen".into(),
        net: "tcp".into(),
        source: None,
        addr: Some(addr.to_string()),
        err: Box::new(Error::unsupported(NO_SERVERS)),
    })
}

/// Go's `http.ServeMux`: records patterns; serving it fails.
#[derive(Debug, Clone, Default)]
pub struct ServeMux {
    patterns: Vec<String>,
}

impl ServeMux {
    /// An empty mux.
    pub fn new() -> ServeMux {
        ServeMux::default()
    }
    /// Go's `HandleFunc`. The handler is never called: nothing can serve.
    pub fn handle_func<F>(&mut self, pattern: &str, _handler: F) {
        self.patterns.push(pattern.to_string());
    }
    /// Go's `Handle`.
    pub fn handle<H>(&mut self, pattern: &str, _handler: H) {
        self.patterns.push(pattern.to_string());
    }
    /// The patterns registered, in order.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }
}

/// Go's `http.Server`.
#[derive(Debug, Clone, Default)]
pub struct Server {
    /// The address it would listen on.
    pub addr: String,
    /// The handler it would serve.
    pub handler: Option<ServeMux>,
}

impl Server {
    /// Always an error: a page cannot accept connections.
    pub fn listen_and_serve(&self) -> Result<(), Error> {
        Err(serve_error(if self.addr.is_empty() {
            ":http"
        } else {
            &self.addr
        }))
    }
    /// Always an error: a page cannot accept connections.
    pub fn listen_and_serve_tls(&self, _cert_file: &str, _key_file: &str) -> Result<(), Error> {
        Err(serve_error(if self.addr.is_empty() {
            ":https"
        } else {
            &self.addr
        }))
    }
    /// Go's `Serve(l)`: no listener can exist in a browser (see `net::listen`).
    pub fn serve<L>(&self, _listener: L) -> Result<(), Error> {
        Err(serve_error(&self.addr))
    }
}

/// Go's `http.ListenAndServe`.
pub fn listen_and_serve(addr: &str, handler: Option<ServeMux>) -> Result<(), Error> {
    Server {
        addr: addr.into(),
        handler,
    }
    .listen_and_serve()
}

/// Go's `http.ListenAndServeTLS`.
pub fn listen_and_serve_tls(
    addr: &str,
    cert_file: &str,
    key_file: &str,
    handler: Option<ServeMux>,
) -> Result<(), Error> {
    Server {
        addr: addr.into(),
        handler,
    }
    .listen_and_serve_tls(cert_file, key_file)
}

/// Go's `http.Serve`.
pub fn serve<L>(listener: L, handler: Option<ServeMux>) -> Result<(), Error> {
    Server {
        addr: String::new(),
        handler,
    }
    .serve(listener)
}
