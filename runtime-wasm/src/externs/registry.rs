//! Registration by declaration id (how Vo numbers externs), and the table
//! of every extern this crate provides.

use std::fmt;

use super::driver::Extern;
use super::name::{Declared, ExternName};

/// Where a VM keeps its externs. `id` is the position of the declaration
/// in the module's list (how Vo numbers externs).
pub trait ExternRegistry {
    /// Records that declaration `id` is `ext`.
    fn register(&mut self, id: usize, ext: &'static Extern);
}

/// A ready-made registry: by declaration id and by name.
#[derive(Debug, Default)]
pub struct Registry {
    by_id: Vec<Option<&'static Extern>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Registry {
        Registry::default()
    }
    /// The extern registered for declaration `id`.
    pub fn by_id(&self, id: usize) -> Option<&'static Extern> {
        self.by_id.get(id).copied().flatten()
    }
    /// The registered extern of that name (any spelling).
    pub fn get(&self, name: &str) -> Option<&'static Extern> {
        let n = ExternName::parse(name)?;
        self.by_id
            .iter()
            .flatten()
            .find(|e| e.package == n.package && e.name == n.function)
            .copied()
    }
    /// How many externs are registered.
    pub fn len(&self) -> usize {
        self.by_id.iter().flatten().count()
    }
    /// Whether no extern is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The registered externs in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &'static Extern)> + '_ {
        self.by_id
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.map(|e| (i, e)))
    }
}

impl ExternRegistry for Registry {
    fn register(&mut self, id: usize, ext: &'static Extern) {
        if self.by_id.len() <= id {
            self.by_id.resize(id + 1, None);
        }
        self.by_id[id] = Some(ext);
    }
}

/// Declarations of a package a `register_externs` call was given that this
/// crate does not provide. The ones it knows were registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterError {
    /// The package path.
    pub package: &'static str,
    /// The declared functions this crate does not provide, as declared.
    pub unknown: Vec<String>,
}

impl fmt::Display for RegisterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: the module declares {} extern(s) this version of runtime-wasm does not provide: {}",
            self.package,
            self.unknown.len(),
            self.unknown.join(", ")
        )
    }
}

impl std::error::Error for RegisterError {}

/// Registers, for each declaration of `package`, the extern of that
/// function from `table`; other packages' declarations are left alone.
/// Returns how many were registered. `net::register_externs` and
/// `http::register_externs` are this with their tables; a runtime can use
/// it for its own tables of `Extern`s too.
pub fn register_table<R: ExternRegistry + ?Sized, D: Declared>(
    package: &'static str,
    table: &'static [Extern],
    registry: &mut R,
    declared: &[D],
) -> Result<usize, RegisterError> {
    let mut unknown = Vec::new();
    let mut count = 0;
    for (id, d) in declared.iter().enumerate() {
        let Some(n) = d.extern_name() else { continue };
        if n.package != package {
            continue;
        }
        match table.iter().find(|e| e.name == n.function) {
            Some(ext) => {
                registry.register(id, ext);
                count += 1;
            }
            None => unknown.push(n.to_string()),
        }
    }
    if unknown.is_empty() {
        Ok(count)
    } else {
        Err(RegisterError { package, unknown })
    }
}


/// Every extern this crate provides (net's, then net/http's). The table is
/// the same on every target; outside a browser the calls that need one
/// return an error saying so.
pub fn all() -> impl Iterator<Item = &'static Extern> {
    crate::net::EXTERNS
        .iter()
        .chain(crate::http::EXTERNS.iter())
}

/// The extern of that name (any spelling [`ExternName::parse`] reads), if
/// this crate provides it.
pub fn find(name: &str) -> Option<&'static Extern> {
    let n = ExternName::parse(name)?;
    all().find(|e| e.package == n.package && e.name == n.function)
}

/// Registers every extern of this crate among `declared` (net's and
/// net/http's): the one call a VM needs. Errors list the declarations of
/// those packages this crate does not provide.
pub fn register_all<R: ExternRegistry + ?Sized, D: Declared>(
    registry: &mut R,
    declared: &[D],
) -> Result<usize, RegisterError> {
    let n = crate::net::register_externs(registry, declared);
    let h = crate::http::register_externs(registry, declared);
    match (n, h) {
        (Ok(a), Ok(b)) => Ok(a + b),
        (Err(mut a), Err(b)) => {
            a.unknown.extend(b.unknown);
            Err(a)
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}

