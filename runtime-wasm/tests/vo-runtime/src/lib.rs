//! A model of the part of Vo's runtime (vo-lang/volang at c7e9e522) that
//! the README's Vo integration code uses, with Vo's module paths, names and
//! signatures, so that code compiles here unchanged (`net.rs`, `runner.rs`
//! beside this file are the README's blocks; a test keeps them equal).
//!
//! Its semantics are Vo's calling conventions, strictly: arguments and
//! results by slot in one window (results overwrite the arguments, so a
//! provider must read everything first), an `error` result as two slots
//! (an interface pair) and a write outside the result window a contract
//! violation, strings and slices as heap references (a `[]byte` may be
//! array-backed, one slot per byte, so not one run of memory), the
//! sentinel cache by package key, host event tokens as process-wide `u64`s
//! (they start above `u32::MAX` here, so a provider that narrows them
//! fails), and a wait answered by parking the fiber until the runner wakes
//! its key, then replaying the same call with the same arguments.
#![allow(dead_code, clippy::missing_safety_doc)]

pub use core_types::{ValueKind, ValueMeta};

pub mod core_types {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum ValueKind {
        Uint8,
        String,
        Slice,
        Pointer,
    }
    #[derive(Debug, Clone, Copy)]
    pub struct ValueMeta {
        pub kind: ValueKind,
    }
    impl ValueMeta {
        pub fn new(_meta_id: u32, kind: ValueKind) -> ValueMeta {
            ValueMeta { kind }
        }
    }
}

pub mod gc {
    pub type GcRef = *mut u64;
    pub struct Gc;
    impl Gc {
        pub unsafe fn write_slot(obj: GcRef, idx: usize, val: u64) {
            match crate::model::obj(obj as u64) {
                crate::model::Obj::Struct(_, slots) => slots[idx] = val,
                other => panic!("write_slot on {other:?}"),
            }
        }
        pub fn mark_allocated_for_scan(&mut self, obj: GcRef) {
            crate::model::SCANNED.with(|s| s.borrow_mut().push(obj as u64));
        }
    }
}

pub mod objects {
    pub mod slice {
        use crate::model::{obj, Obj};
        use crate::gc::GcRef;

        pub unsafe fn uses_flat_slot_storage(s: GcRef) -> bool {
            matches!(obj(s as u64), Obj::FlatBytes(_))
        }
        pub unsafe fn data_ptr(s: GcRef) -> *mut u8 {
            match obj(s as u64) {
                Obj::Bytes(b) => b.as_mut_ptr(),
                other => panic!("data_ptr of {other:?}: not one run of bytes"),
            }
        }
        pub unsafe fn len(s: GcRef) -> usize {
            match obj(s as u64) {
                Obj::Bytes(b) => b.len(),
                Obj::FlatBytes(b) => b.len(),
                Obj::Refs(_, r) => r.len(),
                other => panic!("len of {other:?}"),
            }
        }
        pub unsafe fn write_bytes(s: GcRef, bytes: &[u8]) {
            match obj(s as u64) {
                Obj::Bytes(b) => {
                    let n = bytes.len().min(b.len());
                    b[..n].copy_from_slice(&bytes[..n]);
                }
                Obj::FlatBytes(b) => b.iter_mut().zip(bytes).for_each(|(d, s)| *d = *s as u64),
                other => panic!("write_bytes into {other:?}"),
            }
        }
        pub unsafe fn set(s: GcRef, idx: usize, val: u64, elem_bytes: usize) {
            assert_eq!(elem_bytes, 8, "references are 8 bytes");
            match obj(s as u64) {
                Obj::Refs(_, r) => r[idx] = val,
                other => panic!("set on {other:?}"),
            }
        }
        pub unsafe fn owner_ref(s: GcRef) -> GcRef {
            s
        }
    }
}

pub mod bytecode {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct ExternEffects(pub u32);
    impl ExternEffects {
        pub const NONE: ExternEffects = ExternEffects(0);
        pub const MAY_WAIT_IO_REPLAY: ExternEffects = ExternEffects(1 << 2);
        pub const MAY_HOST_REPLAY: ExternEffects = ExternEffects(1 << 4);
        pub const fn union(self, o: ExternEffects) -> ExternEffects {
            ExternEffects(self.0 | o.0)
        }
    }
    #[derive(Debug, Clone)]
    pub struct ExternDef {
        pub name: String,
        pub allowed_effects: ExternEffects,
    }
    #[derive(Debug, Default)]
    pub struct Module {
        pub externs: Vec<ExternDef>,
    }
}

pub mod builtins {
    pub mod error_helper {
        use crate::ffi::ExternCallContext;
        pub fn create_error(_call: &mut ExternCallContext, msg: &str) -> (u64, u64) {
            crate::model::new_error(msg, (0, 0))
        }
        pub fn create_error_with_cause(_call: &mut ExternCallContext, msg: &str, cause0: u64, cause1: u64) -> (u64, u64) {
            crate::model::new_error(msg, (cause0, cause1))
        }
    }
}

pub mod ffi {
    use std::collections::HashMap;
    use std::marker::PhantomData;

    use super::bytecode::{ExternEffects, Module};
    use super::gc::{Gc, GcRef};
    use crate::core_types::{ValueKind, ValueMeta};
    use crate::model::{alloc, obj, Obj};

    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum HostEventReplaySource {
        GuiEvent,
        Fetch,
        Extension,
    }

    #[derive(Debug, Clone, PartialEq)]
    pub enum ExternResult {
        Ok,
        HostEventWaitAndReplay { token: u64, source: HostEventReplaySource },
        Panic(String),
    }

    pub type ExternFn = fn(&mut ExternCallContext) -> ExternResult;

    #[derive(Debug)]
    pub struct ExternContractError(pub String);

    #[derive(Default)]
    pub struct ExternRegistry {
        pub providers: HashMap<u32, (String, ExternFn, ExternEffects)>,
    }
    impl ExternRegistry {
        pub fn try_register_wasm_host_with_effects(
            &mut self,
            id: u32,
            name: impl Into<String>,
            func: ExternFn,
            effects: ExternEffects,
        ) -> Result<(), ExternContractError> {
            self.providers.insert(id, (name.into(), func, effects));
            Ok(())
        }
    }

    /// Per-VM sentinel errors by package key.
    #[derive(Debug, Default)]
    pub struct SentinelErrorCache {
        inner: HashMap<&'static str, Vec<(u64, u64)>>,
    }
    impl SentinelErrorCache {
        pub fn get_one(&self, pkg: &str, idx: usize) -> Option<(u64, u64)> {
            self.inner.get(pkg).and_then(|v| v.get(idx).copied())
        }
        pub fn insert(&mut self, pkg: &'static str, errors: Vec<(u64, u64)>) {
            self.inner.insert(pkg, errors);
        }
        pub fn contains(&self, pkg: &str) -> bool {
            self.inner.contains_key(pkg)
        }
    }

    pub struct ExternCallContext<'a> {
        pub(crate) slots: &'a mut [u64],
        pub(crate) arg_slots: u16,
        pub(crate) ret_slots: u16,
        pub(crate) extern_id: u32,
        pub(crate) module: &'a Module,
        pub(crate) sentinels: &'a mut SentinelErrorCache,
        pub(crate) resume: Option<u64>,
        pub(crate) gc: Gc,
        /// Arguments read after a result was written: a provider bug.
        pub(crate) wrote: bool,
        pub(crate) violations: Vec<String>,
    }

    impl<'a> ExternCallContext<'a> {
        fn arg(&self, n: u16) -> u64 {
            if n >= self.arg_slots {
                panic!("argument slot {n} outside the {} argument slots", self.arg_slots);
            }
            assert!(!self.wrote, "argument {n} read after a result was written over the arguments");
            self.slots[n as usize]
        }
        fn ret(&mut self, n: u16, v: u64) {
            if n >= self.ret_slots {
                self.violations.push(format!("result slot {n} outside the {} result slots", self.ret_slots));
                return;
            }
            self.wrote = true;
            self.slots[n as usize] = v;
        }
        pub fn module(&self) -> &'a Module {
            self.module
        }
        pub fn extern_id(&self) -> u32 {
            self.extern_id
        }
        pub fn arg_i64(&self, n: u16) -> i64 {
            self.arg(n) as i64
        }
        pub fn arg_ref(&self, n: u16) -> GcRef {
            self.arg(n) as GcRef
        }
        pub fn try_arg_str(&self, n: u16) -> Result<&str, std::str::Utf8Error> {
            match self.arg(n) {
                0 => Ok(""),
                r => match obj(r) {
                    Obj::Str(b) => std::str::from_utf8(b),
                    other => panic!("argument {n} is not a string: {other:?}"),
                },
            }
        }
        pub fn arg_bytes(&self, n: u16) -> &[u8] {
            match self.arg(n) {
                0 => &[],
                r => match obj(r) {
                    Obj::Bytes(b) => b,
                    // Vo materializes an array-backed slice into scratch the call owns.
                    Obj::FlatBytes(b) => Box::leak(b.iter().map(|x| *x as u8).collect::<Vec<u8>>().into_boxed_slice()),
                    other => panic!("argument {n} is not a []byte: {other:?}"),
                },
            }
        }
        pub fn ret_u64(&mut self, n: u16, v: u64) {
            self.ret(n, v)
        }
        pub fn ret_i64(&mut self, n: u16, v: i64) {
            self.ret(n, v as u64)
        }
        pub fn ret_ref(&mut self, n: u16, r: GcRef) {
            self.ret(n, r as u64)
        }
        pub fn ret_str(&mut self, n: u16, s: &str) {
            let r = self.alloc_str(s);
            self.ret_ref(n, r)
        }
        pub fn ret_bytes(&mut self, n: u16, b: &[u8]) {
            let r = self.alloc_bytes(b);
            self.ret_ref(n, r)
        }
        pub fn ret_string_slice(&mut self, n: u16, v: &[String]) {
            let items = v.iter().map(|s| alloc(Obj::Str(s.as_bytes().to_vec())) as u64).collect();
            let r = alloc(Obj::Refs(ValueKind::String, items));
            self.ret_ref(n, r)
        }
        pub fn alloc_str(&mut self, s: &str) -> GcRef {
            alloc(Obj::Str(s.as_bytes().to_vec()))
        }
        pub fn alloc_bytes(&mut self, b: &[u8]) -> GcRef {
            alloc(Obj::Bytes(b.to_vec()))
        }
        pub fn alloc_slice(&mut self, meta: ValueMeta, elem_bytes: usize, len: usize) -> GcRef {
            assert_eq!(elem_bytes, 8);
            alloc(Obj::Refs(meta.kind, vec![0; len]))
        }
        pub fn gc_alloc_struct(&mut self, type_name: &str) -> GcRef {
            assert!(matches!(type_name, "net.TCPAddr" | "net.UDPAddr"), "no struct type {type_name} in the module");
            alloc(Obj::Struct(type_name.into(), vec![0; 3]))
        }
        pub fn gc(&mut self) -> &mut Gc {
            &mut self.gc
        }
        pub fn sentinel_errors(&self) -> &SentinelErrorCache {
            self.sentinels
        }
        pub fn sentinel_errors_mut(&mut self) -> &mut SentinelErrorCache {
            self.sentinels
        }
        pub fn take_resume_host_event_token(&mut self) -> Option<u64> {
            self.resume.take()
        }
        pub fn try_next_host_event_token(&self) -> Option<u64> {
            Some(crate::model::TOKENS.with(|t| t.replace(t.get() + 1)))
        }
    }

    pub trait VoElem {
        type Owned;
        unsafe fn read(r: GcRef, i: usize) -> Self::Owned;
    }
    pub struct VoStringElem;
    impl VoElem for VoStringElem {
        type Owned = Vec<u8>;
        unsafe fn read(r: GcRef, i: usize) -> Vec<u8> {
            match obj(r as u64) {
                Obj::Refs(ValueKind::String, items) => match obj(items[i]) {
                    Obj::Str(b) => b.clone(),
                    other => panic!("not a string: {other:?}"),
                },
                other => panic!("not a []string: {other:?}"),
            }
        }
    }
    pub struct VoSlice<T> {
        ptr: GcRef,
        _t: PhantomData<T>,
    }
    impl<T: VoElem> VoSlice<T> {
        pub unsafe fn from_ref(ptr: GcRef) -> VoSlice<T> {
            VoSlice { ptr, _t: PhantomData }
        }
        pub fn cursor(&self) -> impl Iterator<Item = (usize, T::Owned)> + '_ {
            let n = unsafe { super::objects::slice::len(self.ptr) };
            (0..n).map(move |i| (i, unsafe { T::read(self.ptr, i) }))
        }
    }
}

/// The model itself: its heap, and the VM that drives calls.
pub mod model {

    use std::cell::{Cell, RefCell};

    /// A heap object of the model. A `GcRef` points at one of these.
    #[derive(Debug, Clone, PartialEq)]
    pub enum Obj {
        Str(Vec<u8>),
        /// A `[]byte` over one run of bytes.
        Bytes(Vec<u8>),
        /// A `[]byte` slicing an array: one slot per byte (Vo's flat storage).
        FlatBytes(Vec<u64>),
        /// A slice of references (`[]string`, `[]IP`): the element kind and slots.
        Refs(crate::ValueKind, Vec<u64>),
        Struct(String, Vec<u64>),
        Error { msg: String, cause: (u64, u64) },
    }

    thread_local! {
        static HEAP: RefCell<Vec<*mut Obj>> = const { RefCell::new(Vec::new()) };
        pub(crate) static SCANNED: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
        pub(crate) static TOKENS: Cell<u64> = const { Cell::new(u32::MAX as u64 + 7) };
    }

    /// Allocates an object; its address is the reference.
    pub fn alloc(o: Obj) -> crate::gc::GcRef {
        let p = Box::into_raw(Box::new(o));
        HEAP.with(|h| h.borrow_mut().push(p));
        p as crate::gc::GcRef
    }

    /// The object behind a reference (panics on one the model never made).
    pub fn obj(r: u64) -> &'static mut Obj {
        let p = r as *mut Obj;
        assert!(HEAP.with(|h| h.borrow().contains(&p)), "not a heap reference: {r:#x}");
        // SAFETY: every reference handed out is a leaked Box of the model's.
        unsafe { &mut *p }
    }

    /// The interface word 0 of every error value (its itab and type).
    pub const ERROR_ITAB: u64 = 0xE44;

    pub(crate) fn new_error(msg: &str, cause: (u64, u64)) -> (u64, u64) {
        let r = alloc(Obj::Error { msg: msg.into(), cause });
        (ERROR_ITAB, r as u64)
    }

    /// Vo's `errors.Is`: identity, then the cause chain.
    pub fn errors_is(mut e: (u64, u64), target: (u64, u64)) -> bool {
        loop {
            if e == target {
                return true;
            }
            if e.0 == 0 {
                return false;
            }
            match obj(e.1) {
                Obj::Error { cause, .. } => e = *cause,
                _ => return false,
            }
        }
    }

    /// `err.Error()`, as Vo's errors package computes it.
    pub fn error_text(e: (u64, u64)) -> Option<String> {
        if e == (0, 0) {
            return None;
        }
        assert_eq!(e.0, ERROR_ITAB, "an error's first word is its itab");
        // Vo's errors.Error.Error(): the message, then ": " and the cause's.
        match obj(e.1) {
            Obj::Error { msg, cause: (0, 0) } => Some(msg.clone()),
            Obj::Error { msg, cause } => Some(format!("{msg}: {}", error_text(*cause)?)),
            other => panic!("not an error: {other:?}"),
        }
    }

    pub mod vo_vm {
        pub mod scheduler {
            use crate::ffi::HostEventReplaySource;
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
            pub struct HostWaitSource(pub HostEventReplaySource);
            impl HostWaitSource {
                pub fn replay(source: HostEventReplaySource) -> HostWaitSource {
                    HostWaitSource(source)
                }
            }
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
            pub struct HostWaitKey(pub HostWaitSource, pub u64);
        }

        pub mod vm {
            use std::collections::HashMap;

            use super::scheduler::{HostWaitKey, HostWaitSource};
            use crate::bytecode::{ExternDef, Module};
            use crate::ffi::{
                ExternCallContext, ExternRegistry, ExternResult, SentinelErrorCache,
            };
            use crate::gc::Gc;

            /// A fiber parked in an extern call: what it replays on wake.
            #[derive(Debug, Clone)]
            pub struct Parked {
                pub id: u32,
                pub args: Vec<u64>,
                pub ret_slots: u16,
            }

            /// What a call ended with.
            #[derive(Debug, Clone, PartialEq)]
            pub enum Ended {
                Results(Vec<u64>),
                Panic(String),
            }

            pub struct Vm {
                pub module: Module,
                pub registry: ExternRegistry,
                pub sentinels: SentinelErrorCache,
                pub parked: HashMap<HostWaitKey, Parked>,
                /// Calls that ended after a wake, by the token they last waited on.
                pub ended: HashMap<u64, Ended>,
                /// A woken call that waited again: its old token, its new one.
                pub rewaited: HashMap<u64, u64>,
                pub replays: usize,
            }

            impl Vm {
                pub fn new(names: &[String]) -> Vm {
                    let externs = names.iter().map(|n| ExternDef { name: n.clone(), allowed_effects: Default::default() }).collect();
                    Vm {
                        module: Module { externs },
                        registry: ExternRegistry::default(),
                        sentinels: SentinelErrorCache::default(),
                        parked: HashMap::new(),
                        ended: HashMap::new(),
                        rewaited: HashMap::new(),
                        replays: 0,
                    }
                }

                /// Runs one extern call: `Err(token)` when its fiber parked.
                pub fn invoke(&mut self, p: Parked, resume: Option<u64>) -> Result<Ended, u64> {
                    let (_, f, _) = self.registry.providers.get(&p.id).cloned().unwrap_or_else(|| panic!("extern {} not registered", p.id));
                    let mut slots = p.args.clone();
                    slots.resize(slots.len().max(p.ret_slots as usize), 0);
                    let mut call = ExternCallContext {
                        slots: &mut slots,
                        arg_slots: p.args.len() as u16,
                        ret_slots: p.ret_slots,
                        extern_id: p.id,
                        module: &self.module,
                        sentinels: &mut self.sentinels,
                        resume,
                        gc: Gc,
                        wrote: false,
                        violations: Vec::new(),
                    };
                    let r = f(&mut call);
                    assert!(call.violations.is_empty(), "contract violations: {:?}", call.violations);
                    assert!(call.resume.is_none() || resume.is_none(), "a replay must take its resume token");
                    match r {
                        ExternResult::Ok => Ok(Ended::Results(slots[..p.ret_slots as usize].to_vec())),
                        ExternResult::Panic(m) => Ok(Ended::Panic(m)),
                        ExternResult::HostEventWaitAndReplay { token, source } => {
                            assert!(!call.wrote, "a call that waits writes no results");
                            self.parked.insert(HostWaitKey(HostWaitSource::replay(source), token), p);
                            Err(token)
                        }
                    }
                }

                pub fn host_event_key(&self, source: HostWaitSource, token: u64) -> Option<HostWaitKey> {
                    let key = HostWaitKey(source, token);
                    self.parked.contains_key(&key).then_some(key)
                }

                /// Resumes the parked fiber: Vo replays the call with the same
                /// arguments and the token.
                pub fn wake_host_event(&mut self, key: HostWaitKey) -> bool {
                    let Some(p) = self.parked.remove(&key) else { return false };
                    self.replays += 1;
                    match self.invoke(p, Some(key.1)) {
                        Ok(ended) => {
                            self.ended.insert(key.1, ended);
                        }
                        Err(next) => {
                            self.rewaited.insert(key.1, next);
                        }
                    }
                    true
                }

                /// A killed fiber: it will never be woken.
                pub fn kill(&mut self, token: u64) -> bool {
                    self.parked.retain(|k, _| k.1 != token);
                    true
                }
            }

            pub type Tokens = HashMap<u64, u64>;
        }
    }

}
