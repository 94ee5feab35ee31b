//! `runtime_wasm::vo` as the Vo web runtime drives it: the Vo guide's (docs/vo.md)
//! integration code (tests/vo_guide/net.rs and runner.rs, kept equal to
//! the guide's blocks) compiled against a model of Vo's calling
//! conventions (tests/vo_guide/mock.rs), and every extern called through
//! it: natively what needs no browser, in Chromium everything against the
//! real peers.
#![cfg(feature = "vo")]

use vo_runtime::model as vo_mock;

#[macro_use]
mod common;

/// The integrator's code, exactly as the Vo guide (docs/vo.md) shows it.
mod guide {
    include!("vo_guide/net.rs");

    pub mod runner {
        use vo_runtime::model::vo_vm::{self, vm::Vm};
        /// vo-web's runtime-wasm crate, where net.rs lives.
        mod vo_web_runtime_wasm {
            pub(crate) use crate::guide as net;
        }
        include!("vo_guide/runner.rs");
        pub fn wake(vm: &mut Vm, token: u64) -> bool {
            wake_net(vm, token)
        }
    }
}

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use runtime_wasm::externs;
use runtime_wasm::vo;
use vo_mock::vo_vm::vm::{Ended, Parked, Vm};
use vo_mock::{alloc, error_text, obj, Obj};
#[cfg(target_arch = "wasm32")]
use vo_mock::errors_is;

/// An argument as a Vo program passes it.
#[derive(Debug, Clone)]
enum A<'s> {
    Int(i64),
    Str(&'s str),
    /// A `[]byte` over one run of memory.
    Bytes(Vec<u8>),
    /// A `[]byte` slicing an array (one slot per byte).
    Flat(Vec<u8>),
    Strings(Vec<&'s str>),
    Nil,
}

/// A VM with every net and net/http extern registered through the guide.
struct Guest {
    vm: Vm,
}

/// One call's results (raw slots) and its argument references.
#[derive(Debug)]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
struct Out {
    rets: Vec<u64>,
    args: Vec<u64>,
}

#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
impl Out {
    fn int(&self, slot: usize) -> i64 {
        self.rets[slot] as i64
    }
    fn str(&self, slot: usize) -> String {
        match obj(self.rets[slot]) {
            Obj::Str(b) => String::from_utf8(b.clone()).expect("utf-8"),
            other => panic!("result {slot} is not a string: {other:?}"),
        }
    }
    fn err(&self, slot: usize) -> (u64, u64) {
        (self.rets[slot], self.rets[slot + 1])
    }
    fn err_text(&self, slot: usize) -> Option<String> {
        error_text(self.err(slot))
    }
    fn strings(&self, slot: usize) -> Vec<String> {
        match obj(self.rets[slot]) {
            Obj::Refs(_, items) => items
                .iter()
                .map(|r| match obj(*r) {
                    Obj::Str(b) => String::from_utf8(b.clone()).expect("utf-8"),
                    o => panic!("{o:?}"),
                })
                .collect(),
            other => panic!("result {slot} is not a []string: {other:?}"),
        }
    }
    fn ips(&self, slot: usize) -> Vec<Vec<u8>> {
        match obj(self.rets[slot]) {
            Obj::Refs(vo_runtime::ValueKind::Slice, items) => items
                .iter()
                .map(|r| match obj(*r) {
                    Obj::Bytes(b) => b.clone(),
                    o => panic!("{o:?}"),
                })
                .collect(),
            other => panic!("result {slot} is not a []IP: {other:?}"),
        }
    }
    fn bytes(&self, slot: usize) -> Vec<u8> {
        match self.rets[slot] {
            0 => Vec::new(),
            r => match obj(r) {
                Obj::Bytes(b) => b.clone(),
                other => panic!("result {slot} is not a []byte: {other:?}"),
            },
        }
    }
    /// `*TCPAddr`: (type, IP, Port, Zone).
    fn addr(&self, slot: usize) -> (String, Vec<u8>, i64, String) {
        match obj(self.rets[slot]) {
            Obj::Struct(ty, f) => {
                let ip = match obj(f[0]) {
                    Obj::Bytes(b) => b.clone(),
                    o => panic!("{o:?}"),
                };
                let zone = match obj(f[2]) {
                    Obj::Str(b) => String::from_utf8(b.clone()).expect("utf-8"),
                    o => panic!("{o:?}"),
                };
                (ty.clone(), ip, f[1] as i64, zone)
            }
            other => panic!("result {slot} is not a *TCPAddr: {other:?}"),
        }
    }
    /// What a read left in the guest's buffer argument.
    fn buf(&self, arg: usize) -> Vec<u8> {
        match obj(self.args[arg]) {
            Obj::Bytes(b) => b.clone(),
            Obj::FlatBytes(b) => b.iter().map(|x| *x as u8).collect(),
            other => panic!("argument {arg} is not a []byte: {other:?}"),
        }
    }
}

/// Vo's declarations (testdata/vo-externs.txt) in canonical spelling, in
/// order, then the crate's additions.
fn vo_names() -> Vec<String> {
    let mut package = "";
    let mut names = Vec::new();
    for line in include_str!("../../testdata/vo-externs.txt").lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        match line.strip_prefix("package ") {
            Some(p) => package = if p == "http" { "net/http" } else { p },
            None => {
                let f = line.split('(').next().unwrap_or_default();
                names.push(externs::canonical_name(package, f));
            }
        }
    }
    names.extend(runtime_wasm::http::ADDITIONS.iter().map(|f| externs::canonical_name("net/http", f)));
    names
}

impl Guest {
    fn new() -> Guest {
        let mut vm = Vm::new(&vo_names());
        let defs = vm.module.externs.clone();
        guide::register_externs(&mut vm.registry, &defs).expect("register");
        Guest { vm }
    }

    fn parked(&self, name: &str, args: &[A<'_>]) -> Parked {
        let id = self
            .vm
            .module
            .externs
            .iter()
            .position(|d| d.name.ends_with(&format!(":{name}")))
            .unwrap_or_else(|| panic!("no extern {name}")) as u32;
        let ext = vo::find(&self.vm.module.externs[id as usize].name).expect("provided");
        let ret_slots = ext.results.iter().map(|k| if *k == externs::Kind::Error { 2 } else { 1 }).sum();
        let args = args
            .iter()
            .map(|a| match a {
                A::Int(n) => *n as u64,
                A::Str(s) => alloc(Obj::Str(s.as_bytes().to_vec())) as u64,
                A::Bytes(b) => alloc(Obj::Bytes(b.clone())) as u64,
                A::Flat(b) => alloc(Obj::FlatBytes(b.iter().map(|x| *x as u64).collect())) as u64,
                A::Strings(l) => {
                    let items = l.iter().map(|s| alloc(Obj::Str(s.as_bytes().to_vec())) as u64).collect();
                    alloc(Obj::Refs(vo_runtime::ValueKind::String, items)) as u64
                }
                A::Nil => 0,
            })
            .collect();
        Parked { id, args, ret_slots }
    }

    /// Calls `name` and runs the host loop (the guide's runner hook) until
    /// it ends; `Err` is the Panic Vo would raise in the guest.
    async fn call(&mut self, name: &str, args: &[A<'_>]) -> Result<Out, String> {
        let p = self.parked(name, args);
        let arg_refs = p.args.clone();
        let mut token = match self.vm.invoke(p, None) {
            Ok(Ended::Results(rets)) => return Ok(Out { rets, args: arg_refs }),
            Ok(Ended::Panic(m)) => return Err(m),
            Err(token) => token,
        };
        loop {
            let ready = vo::next_ready().await;
            assert!(guide::runner::wake(&mut self.vm, ready), "a ready token has a parked fiber");
            if ready != token {
                continue; // another fiber's
            }
            if let Some(next) = self.vm.rewaited.remove(&token) {
                token = next;
                continue;
            }
            return match self.vm.ended.remove(&token).expect("ended") {
                Ended::Results(rets) => Ok(Out { rets, args: arg_refs }),
                Ended::Panic(m) => Err(m),
            };
        }
    }

    /// A call that must not wait (natively nothing can).
    fn now(&mut self, name: &str, args: &[A<'_>]) -> Out {
        let mut fut = pin!(self.call(name, args));
        match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(r) => r.unwrap_or_else(|m| panic!("{name} panicked: {m}")),
            Poll::Pending => panic!("{name} waited"),
        }
    }

    fn sentinel(&self, pkg: &str, i: usize) -> (u64, u64) {
        self.vm.sentinels.get_one(pkg, i).unwrap_or_else(|| panic!("no {pkg} sentinel {i}"))
    }

    /// What Vo's `getNetErrors()` / `getHttpErrors()` / `getIoErrors()` leave
    /// in the cache when the program's packages initialize.
    fn init_packages(&mut self, io: bool) {
        let out = self.now("getNetErrors", &[]);
        for i in 0..6 {
            assert_eq!(out.err(2 * i), self.sentinel("net", i), "getNetErrors()[{i}] is the cached value");
        }
        let out = self.now("getHttpErrors", &[]);
        assert_eq!(out.err(0), self.sentinel("http", 0));
        if io {
            let eof = vo_runtime::builtins::error_helper::create_error;
            let _ = eof; // Vo's io package caches its own list; EOF first.
            let e = (vo_mock::ERROR_ITAB, alloc(Obj::Error { msg: "EOF".into(), cause: (0, 0) }) as u64);
            self.vm.sentinels.insert("io", vec![e]);
        }
    }
}

both! {
    fn the_readme_guide_is_the_compiled_code_and_short() {
        let guide = include_str!("../../docs/vo.md");
        for (file, text) in [("net.rs", include_str!("vo_guide/net.rs")), ("runner.rs", include_str!("vo_guide/runner.rs"))] {
            assert!(guide.contains(&format!("```rust\n{text}```")), "docs/vo.md differs from tests/vo_guide/{file}");
        }
        // What the integrator writes: every code line of the guide's blocks
        // (the added lines of the diff), `pub mod net;`, not the manifest
        // lines the crate prints.
        let blocks: Vec<(&str, &str)> = guide
            .split("```")
            .skip(1)
            .step_by(2)
            .map(|b| b.split_once('\n').unwrap_or((b, "")))
            .collect();
        let mut total = 1; // `pub mod net;`, named in net.rs's comment
        for (lang, body) in &blocks {
            let code = |l: &&str| !l.trim().is_empty() && !l.trim_start().starts_with("//");
            total += match *lang {
                "diff" => body.lines().filter(|l| l.starts_with('+')).count(),
                _ if body.contains("ExternEffectManifestEntry::new") => 0,
                _ => body.lines().filter(code).count(),
            };
        }
        assert!(total <= 60, "the integrator's code is {total} lines");
        assert!(guide.contains(&format!(": {total}\nlines")) || guide.contains(&format!(": {total} lines")), "docs/vo.md states the count ({total} lines)");
        assert!(blocks.iter().any(|(l, b)| *l == "go" && b.contains(r#"case "tcp", "tcp4", "tcp6", "ws", "wss":"#)));
    }

    // The runner change is a patch against Vo's source (docs/vo/async_runner.patch),
    // which this repository cannot hold whole; it was applied and vo-web checked
    // for wasm32 with no warning (docs/vo.md). What can be checked without Vo's
    // source is checked here: the patch is a well-formed unified diff (each
    // hunk's counts match its lines), everything it adds uses only what it
    // imports (`pin!`), nothing it removes is still named by a line it adds
    // or keeps (a removed struct, fn, variant or local), the guide's lines
    // are the patch's own, and every line it adds is shown in the guide.
    fn the_runner_patch_is_well_formed_and_the_readme_shows_it() {
        let patch = include_str!("../../docs/vo/async_runner.patch");
        let body = &patch[patch.find("\n--- a/").expect("a unified diff") + 1..];
        let lines: Vec<&str> = body.lines().skip(2).collect();
        let (mut added, mut removed, mut kept) = (Vec::new(), Vec::new(), Vec::new());
        let mut i = 0;
        while i < lines.len() {
            let h = lines[i].strip_prefix("@@ -").expect("a hunk header");
            let nums: Vec<usize> = h
                .split(|c: char| !c.is_ascii_digit())
                .filter(|x| !x.is_empty())
                .map(|x| x.parse().unwrap())
                .collect();
            let (mut old, mut new) = (nums[1], nums[3]);
            i += 1;
            while old + new > 0 {
                let l = *lines.get(i).expect("a hunk ends before its counts say");
                let take = |n: &mut usize| *n = n.checked_sub(1).unwrap_or_else(|| panic!("the hunk {h:?} has more lines than its counts say"));
                match l.chars().next() {
                    Some('+') => {
                        added.push(&l[1..]);
                        take(&mut new);
                    }
                    Some('-') => {
                        removed.push(&l[1..]);
                        take(&mut old);
                    }
                    _ => {
                        kept.push(l.get(1..).unwrap_or(""));
                        take(&mut old);
                        take(&mut new);
                    }
                }
                i += 1;
            }
        }
        assert!(added.len() > 10 && removed.len() > 10);
        if added.iter().any(|l| l.contains("pin!(")) {
            assert!(added.iter().chain(&kept).any(|l| l.trim() == "use core::pin::pin;" || l.trim() == "use std::pin::pin;"), "pin! without `use core::pin::pin;`");
        }
        // Names the removed lines define (structs, fns, type aliases, locals,
        // enum variants as `::V(`) that no added or kept line defines again.
        fn defined(l: &str) -> Option<String> {
            let t = l.trim();
            for kw in ["struct ", "async fn ", "fn ", "type ", "let mut ", "let "] {
                if let Some(rest) = t.strip_prefix(kw) {
                    let name = rest.split(|c: char| !c.is_alphanumeric() && c != '_').next().unwrap();
                    let local = kw.starts_with("let");
                    return (!name.is_empty() && (!local || name.starts_with(|c: char| c.is_lowercase() || c == '_'))).then(|| name.to_string());
                }
            }
            let (v, _) = t.split_once('(')?;
            (t.ends_with("),") && v.chars().all(char::is_alphanumeric) && v.starts_with(char::is_uppercase)).then(|| format!("::{v}("))
        }
        let again: Vec<String> = added.iter().chain(&kept).filter_map(|l| defined(l)).collect();
        let gone: Vec<String> = removed.iter().filter_map(|l| defined(l)).filter(|g| !again.contains(g)).collect();
        assert!(gone.iter().any(|g| g == "::Fetch("), "the Fetch variant goes: {gone:?}");
        assert!(gone.iter().any(|g| g == "FetchCompletion") && gone.iter().any(|g| g == "fetches"), "{gone:?}");
        let code = |l: &&&str| !l.trim_start().starts_with("//") && !l.trim_start().starts_with("assert!");
        for g in &gone {
            for l in added.iter().chain(&kept).filter(code) {
                let named = if g.starts_with("::") { l.contains(g.as_str()) } else { l.split(|c: char| !c.is_alphanumeric() && c != '_').any(|w| w == g) };
                assert!(!named, "{g} is removed but still named: {l}");
            }
        }
        // The guide shows every added line (wake_net in its rust block, Vo's new test in words).
        let guide = include_str!("../../docs/vo.md");
        let shown = guide.split("```diff\n").nth(1).and_then(|d| d.split("```").next()).expect("the runner's diff block");
        for l in shown.lines().filter(|l| l.starts_with('+')) {
            assert!(added.contains(&&l[1..]), "The guide.s diff adds a line the patch does not: {l}");
        }
        let runner = include_str!("vo_guide/runner.rs");
        let in_vo_test = |l: &str| l.contains("assert!") || l.contains("fn network_and_timer_waits") || l.contains("include_str!") || l.contains(".split(") || l.contains(".next()") || l.contains(".expect(");
        for l in added.iter().filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with("//") && !l.trim_start().starts_with("#[") && !in_vo_test(l)) {
            assert!(shown.contains(&format!("+{l}\n")) || runner.contains(l.trim()), "the guide does not show the added line {l:?}");
        }
    }

    fn the_manifest_patch_names_every_waiting_vo_extern() {
        let patch = vo::manifest_patch();
        let guide = include_str!("../../docs/vo.md");
        assert!(guide.contains(&patch), "docs/vo.md shows vo::manifest_patch()'s output:\n{patch}");
        let waiting: Vec<&str> = vo_names()
            .iter()
            .filter(|n| !runtime_wasm::http::ADDITIONS.iter().any(|a| n.ends_with(&format!(":{a}"))))
            .filter_map(|n| vo::find(n))
            .filter(|e| e.may_wait())
            .map(|e| e.name)
            .collect();
        assert_eq!(patch.lines().count(), waiting.len());
        for name in &waiting {
            assert!(patch.contains(&format!("{name:?}), ")), "{name} missing from the patch");
            assert!(patch.lines().any(|l| l.contains(&format!("{name:?})")) && l.contains("MAY_HOST_REPLAY") || l.contains("HTTP_REQUEST")));
        }
        assert!(waiting.contains(&"dial") && waiting.contains(&"lookupIP") && waiting.contains(&"blocking_tcpConnRead"));
        // The registered effects are what the patch allows, no more.
        let g = Guest::new();
        for (id, (name, _, effects)) in &g.vm.registry.providers {
            let ext = vo::find(name).expect("provided");
            let want = if ext.may_wait() { 1 << 4 } else { 0 };
            assert_eq!(effects.0, want, "{name} (id {id})");
        }
        assert_eq!(g.vm.registry.providers.len(), 45);
    }

    fn sentinels_are_vos_cached_values_in_vos_order() {
        let mut g = Guest::new();
        // Before getNetErrors ran, an error that is a sentinel fills the cache
        // the way getNetErrors would (same texts, same order).
        let out = g.now("tcpConnClose", &[A::Int(987_654)]);
        assert_eq!(out.err(0), g.sentinel("net", 0));
        assert_eq!(out.err_text(0).as_deref(), Some("use of closed network connection"));
        let texts: Vec<String> = (0..6).map(|i| error_text(g.sentinel("net", i)).expect("text")).collect();
        assert_eq!(texts, ["use of closed network connection", "i/o timeout", "connection refused", "connection reset by peer", "address already in use", "address not available"]);
        g.init_packages(true);
        assert_eq!(error_text(g.sentinel("http", 0)).as_deref(), Some("request timeout"));
        // Every stale-handle call answers ErrClosed itself.
        for name in ["tcpConnSetDeadline", "tcpConnSetReadDeadline", "tcpConnSetWriteDeadline", "udpConnClose", "udpConnSetDeadline"] {
            let args: &[A] = if name.ends_with("Close") { &[A::Int(5)] } else { &[A::Int(5), A::Int(0)] };
            assert_eq!(g.now(name, args).err(0), g.sentinel("net", 0), "{name}");
        }
        assert_eq!(g.now("tcpConnLocalAddr", &[A::Int(5)]).str(0), "");
    }

    fn what_a_page_cannot_do_answers_gos_errors_at_vos_slots() {
        let mut g = Guest::new();
        g.init_packages(true);
        let out = g.now("listen", &[A::Str("tcp"), A::Str(":8080")]);
        assert_eq!(out.int(0), 0);
        assert!(out.err_text(1).expect("error").starts_with("listen tcp :8080: a page cannot accept connections"));
        let out = g.now("unixDial", &[A::Str("/tmp/x.sock")]);
        assert!(out.err_text(1).expect("error").starts_with("dial unix /tmp/x.sock: "), "{:?}", out.err_text(1));
        for (name, args) in [
            ("blocking_tcpListenerAccept", vec![A::Int(1)]),
            ("blocking_unixConnRead", vec![A::Int(1), A::Bytes(vec![0; 4])]),
            ("blocking_unixConnWrite", vec![A::Int(1), A::Bytes(vec![1])]),
            ("blocking_unixListenerAccept", vec![A::Int(1)]),
        ] {
            let out = g.now(name, &args);
            assert_eq!(out.int(0), 0, "{name}");
            assert!(out.err_text(1).expect(name).contains("not available in browser WebAssembly"), "{name}");
        }
        for name in ["tcpListenerClose", "unixConnClose", "unixListenerClose", "unixConnSetDeadline", "unixConnSetReadDeadline", "unixConnSetWriteDeadline"] {
            let args: &[A] = if name.contains("Deadline") { &[A::Int(1), A::Int(0)] } else { &[A::Int(1)] };
            assert!(g.now(name, args).err_text(0).expect(name).contains("not available"), "{name}");
        }
        assert_eq!(g.now("tcpListenerAddr", &[A::Int(1)]).str(0), "");
        let out = g.now("unixListen", &[A::Str("/tmp/y")]);
        assert!(out.err_text(1).expect("error").starts_with("listen unix /tmp/y: "));
        // Go's own errors for bad input, before anything is tried.
        let out = g.now("dial", &[A::Str("tcp"), A::Str("no-port"), A::Int(0)]);
        assert_eq!(out.err_text(1).as_deref(), Some("dial tcp no-port: address no-port: missing port in address"));
        let out = g.now("dial", &[A::Str("carrier-pigeon"), A::Str("x"), A::Int(0)]);
        assert_eq!(out.err_text(1).as_deref(), Some("dial carrier-pigeon: unknown network carrier-pigeon"));
        let out = g.now("listenPacket", &[A::Str("udp"), A::Str("nope")]);
        assert_eq!(out.err_text(1).as_deref(), Some("listen udp nope: address nope: missing port in address"));
    }

    fn names_and_addresses_are_vos_shapes() {
        let mut g = Guest::new();
        // Vo's net.IP holds IPv4 16 bytes long (IPv4-mapped), as its native provider.
        let out = g.now("lookupIP", &[A::Str("localhost")]);
        assert_eq!(out.ips(0), [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1].to_vec(), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1].to_vec()]);
        assert_eq!(out.err(1), (0, 0));
        let out = g.now("lookupIP", &[A::Str("192.0.2.7")]);
        assert_eq!(out.ips(0), [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 7].to_vec()]);
        let out = g.now("lookupHost", &[A::Str("::1")]);
        assert_eq!(out.strings(0), ["::1"]);
        let out = g.now("lookupAddr", &[A::Str("127.0.0.1")]);
        assert_eq!(out.strings(0), ["localhost"]);
        let out = g.now("resolveTCPAddr", &[A::Str("tcp"), A::Str("127.0.0.1:https")]);
        assert_eq!(out.addr(0), ("net.TCPAddr".into(), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1].to_vec(), 443, String::new()));
        let out = g.now("resolveUDPAddr", &[A::Str("udp6"), A::Str("[fe80::1%eth0]:53")]);
        let (ty, ip, port, zone) = out.addr(0);
        assert_eq!((ty.as_str(), ip.len(), port, zone.as_str()), ("net.UDPAddr", 16, 53, "eth0"));
        // A failure: nil pointer beside the error.
        let out = g.now("resolveTCPAddr", &[A::Str("tcp"), A::Str("[::1")]);
        assert_eq!(out.rets[0], 0);
        assert!(out.err_text(1).is_some());
        let out = g.now("lookupHost", &[A::Str("")]);
        assert_eq!((out.rets[0], out.err_text(1).as_deref()), (0, Some("lookup : no such host")));
    }

    fn http_request_ids_and_errors_are_vos() {
        let mut g = Guest::new();
        g.init_packages(true);
        let out = g.now("nativeNewClientRequest", &[]);
        let id = out.int(0);
        assert!(id > 0 && out.err(1) == (0, 0));
        // A bad URL: http.vo adds `get "URL": ` itself, so the extern's
        // error is the cause alone (never `get "x": Get "x": ...`).
        let out = g.now("nativeHttpsRequest", &[A::Int(id), A::Str("GET"), A::Str("http://[::1/"), A::Strings(vec![]), A::Nil, A::Int(0)]);
        let text = out.err_text(5).expect("error");
        assert!(!text.starts_with("Get ") && !text.contains("\"http://[::1/\": "), "{text}");
        assert_eq!((out.int(0), out.str(1), out.str(2), out.rets[3], out.rets[4]), (0, String::new(), String::new(), 0, 0));
        assert!(g.now("nativeCancelClientRequest", &[A::Int(id)]).rets.is_empty());
        assert!(g.now("nativeReleaseClientRequest", &[A::Int(id)]).rets.is_empty());
        assert_eq!(externs::pending_count(), 0);
        assert_eq!(runtime_wasm::http::extern_request_count(), 0);
    }

    fn misuse_is_a_guest_panic_never_a_trap() {
        let mut g = Guest::new();
        // A string that is not UTF-8 is an error result, not a contract violation.
        let mut p = g.parked("lookupHost", &[A::Nil]);
        p.args[0] = alloc(Obj::Str(vec![0xff, 0xfe])) as u64;
        match g.vm.invoke(p, None) {
            Ok(Ended::Results(r)) => {
                let text = error_text((r[1], r[2])).expect("error");
                assert_eq!(text, "net.lookupHost: argument 1 (host) is not valid UTF-8");
            }
            other => panic!("{other:?}"),
        }
        let mut p = g.parked("nativeHttpsRequest", &[A::Int(1), A::Str("GET"), A::Str("http://x/"), A::Strings(vec!["A: b"]), A::Nil, A::Int(0)]);
        p.args[3] = alloc(Obj::Refs(vo_runtime::ValueKind::String, vec![alloc(Obj::Str(vec![b'A', b':', 0xc3])) as u64])) as u64;
        match g.vm.invoke(p, None) {
            Ok(Ended::Results(r)) => assert_eq!(error_text((r[5], r[6])).as_deref(), Some("net/http.nativeHttpsRequest: argument 4 (headers) element 0 is not valid UTF-8")),
            other => panic!("{other:?}"),
        }
        // A replay with a token runtime-wasm never issued.
        let p = g.parked("lookupHost", &[A::Str("x")]);
        match g.vm.invoke(p, Some(424_242)) {
            Ok(Ended::Panic(m)) => assert!(m.contains("host event token 424242, which runtime-wasm did not issue"), "{m}"),
            other => panic!("{other:?}"),
        }
        // An extern this crate does not provide.
        let mut vm = Vm::new(&["vo1:3:fmt:7:Println".to_string()]);
        vm.registry.providers.insert(0, ("x".into(), |c| guide_provide(c), Default::default()));
        match vm.invoke(Parked { id: 0, args: vec![], ret_slots: 0 }, None) {
            Ok(Ended::Panic(m)) => assert_eq!(m, "runtime-wasm does not provide the extern vo1:3:fmt:7:Println"),
            other => panic!("{other:?}"),
        }
    }
}

/// The guide's provider, for a VM built by hand.
fn guide_provide(c: &mut vo_runtime::ffi::ExternCallContext) -> vo_runtime::ffi::ExternResult {
    let mut reg = vo_runtime::ffi::ExternRegistry::default();
    let defs = vec![vo_runtime::bytecode::ExternDef { name: "vo1:3:net:4:dial".into(), allowed_effects: Default::default() }];
    guide::register_externs(&mut reg, &defs).expect("register");
    (reg.providers[&0].1)(c)
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn natively_the_network_says_it_needs_a_browser() {
    let mut g = Guest::new();
    g.init_packages(true);
    let out = g.now("dial", &[A::Str("wss"), A::Str("wss://example.com/"), A::Int(0)]);
    assert_eq!(out.int(0), 0);
    assert_eq!(out.err_text(1).as_deref(), Some("dial wss wss://example.com/: sockets run in the browser (wasm32, after registerNetBindings()); this build has none"));
    let out = g.now("lookupHost", &[A::Str("example.com")]);
    assert!(out.err_text(1).expect("error").contains("DNS-over-HTTPS lookups run in the browser"));
    let id = g.now("nativeNewClientRequest", &[]).int(0);
    let out = g.now("nativeHttpsRequest", &[A::Int(id), A::Str("GET"), A::Str("https://example.com/"), A::Strings(vec![]), A::Nil, A::Int(0)]);
    assert_eq!(out.err_text(5).as_deref(), Some("fetch runs in the browser (wasm32, after registerNetBindings()); this build has no HTTP client"));
    g.now("nativeReleaseClientRequest", &[A::Int(id)]);
    let out = g.now("blocking_tcpConnRead", &[A::Int(3), A::Flat(vec![0; 8])]);
    assert_eq!(out.int(0), 0);
    assert!(out.err_text(1).expect("error").contains("sockets run in the browser"));
}

#[cfg(target_arch = "wasm32")]
mod browser {
    use super::*;
    use common::browser::*;
    use runtime_wasm::net::{self, Resolver};
    use sha2::{Digest, Sha256};
    use wasm_bindgen_test::wasm_bindgen_test;

    fn unix_nanos_in(ms: i64) -> i64 {
        in_ms(ms).expect("time").duration_since(net::SystemTime::UNIX_EPOCH).expect("after 1970").as_nanos() as i64
    }

    fn setup() -> Guest {
        set_net_options("{}");
        net::set_default_resolver(Resolver::with_servers([doh_url()]));
        let mut g = Guest::new();
        g.init_packages(true);
        g
    }

    fn no_leaks() {
        assert_eq!((externs::pending_count(), vo::pending(), net::extern_conn_count(), runtime_wasm::http::extern_request_count()), (0, 0, 0, 0));
    }

    async fn dial(g: &mut Guest, network: &str, addr: &str) -> i64 {
        let out = g.call("dial", &[A::Str(network), A::Str(addr), A::Int(0)]).await.expect("dial");
        assert_eq!(out.err_text(1), None, "dial {addr}");
        out.int(0)
    }

    #[wasm_bindgen_test]
    async fn websocket_echo_through_tcpconn_externs_with_both_kinds_of_slice() {
        let mut g = setup();
        let c = dial(&mut g, "ws", &echo_url("")).await;
        assert!(g.now("tcpConnRemoteAddr", &[A::Int(c)]).str(0).starts_with("ws://"));
        // A write from an array-backed slice, read into one run of memory and
        // into an array-backed slice (filled through the copy-back).
        let out = g.call("blocking_tcpConnWrite", &[A::Int(c), A::Flat(b"hello vo".to_vec())]).await.expect("write");
        assert_eq!((out.int(0), out.err(1)), (8, (0, 0)));
        let out = g.call("blocking_tcpConnRead", &[A::Int(c), A::Bytes(vec![0; 5])]).await.expect("read");
        assert_eq!((out.int(0), out.buf(1)), (5, b"hello".to_vec()));
        let out = g.call("blocking_tcpConnRead", &[A::Int(c), A::Flat(vec![9; 6])]).await.expect("read");
        assert_eq!((out.int(0), out.buf(1)), (3, vec![b' ', b'v', b'o', 9, 9, 9]));
        assert!(g.vm.replays >= 1, "the first read waited and was replayed");
        // 1 MiB each way, checked.
        let big: Vec<u8> = (0..1 << 20).map(|i| (i * 7 % 251) as u8).collect();
        let out = g.call("blocking_tcpConnWrite", &[A::Int(c), A::Bytes(big.clone())]).await.expect("write");
        assert_eq!(out.int(0), big.len() as i64);
        let mut got = Vec::new();
        while got.len() < big.len() {
            let out = g.call("blocking_tcpConnRead", &[A::Int(c), A::Bytes(vec![0; 65536])]).await.expect("read");
            assert_eq!(out.err(1), (0, 0));
            got.extend_from_slice(&out.buf(1)[..out.int(0) as usize]);
        }
        assert_eq!(Sha256::digest(&got), Sha256::digest(&big));
        // A read deadline: Go's text, ErrTimeout as its cause, and the Conn stays usable.
        let out = g.call("tcpConnSetReadDeadline", &[A::Int(c), A::Int(unix_nanos_in(100))]).await.expect("deadline");
        assert_eq!(out.err(0), (0, 0));
        let out = g.call("blocking_tcpConnRead", &[A::Int(c), A::Bytes(vec![0; 4])]).await.expect("read");
        // err.Error() as Vo computes it (message, ": ", the cause's): Go's text, once.
        let text = out.err_text(1).expect("timeout");
        assert!(text.starts_with("read ws ") && text.ends_with(": i/o timeout") && text.matches("i/o timeout").count() == 1, "{text}");
        assert!(errors_is(out.err(1), g.sentinel("net", 1)), "errors.Is(err, net.ErrTimeout)");
        assert_ne!(out.err(1), g.sentinel("net", 1), "the error is Go's OpError, not the bare sentinel");
        g.call("tcpConnSetDeadline", &[A::Int(c), A::Int(0)]).await.expect("clear");
        g.call("blocking_tcpConnWrite", &[A::Int(c), A::Bytes(b"again".to_vec())]).await.expect("write");
        let out = g.call("blocking_tcpConnRead", &[A::Int(c), A::Bytes(vec![0; 5])]).await.expect("read");
        assert_eq!(out.buf(1), b"again");
        // Close, then ErrClosed itself.
        assert_eq!(g.now("tcpConnClose", &[A::Int(c)]).err(0), (0, 0));
        let out = g.call("blocking_tcpConnRead", &[A::Int(c), A::Bytes(vec![0; 4])]).await.expect("read");
        assert_eq!(out.err(1), g.sentinel("net", 0));
        no_leaks();
    }

    #[wasm_bindgen_test]
    async fn eof_is_io_eof_when_io_is_loaded_and_a_plain_eof_otherwise() {
        let mut g = setup();
        let c = dial(&mut g, "ws", &echo_url("close=1000")).await;
        g.call("blocking_tcpConnWrite", &[A::Int(c), A::Bytes(b"x".to_vec())]).await.expect("write");
        let mut eof = None;
        for _ in 0..4 {
            let out = g.call("blocking_tcpConnRead", &[A::Int(c), A::Bytes(vec![0; 8])]).await.expect("read");
            if out.err(1) != (0, 0) {
                eof = Some(out);
                break;
            }
        }
        let out = eof.expect("the end");
        assert_eq!((out.int(0), out.err(1)), (0, g.sentinel("io", 0)), "err == io.EOF");
        g.now("tcpConnClose", &[A::Int(c)]);

        let mut g = Guest::new(); // a program that never loaded io
        let c = dial(&mut g, "ws", &echo_url("close=1000")).await;
        g.call("blocking_tcpConnWrite", &[A::Int(c), A::Bytes(b"x".to_vec())]).await.expect("write");
        loop {
            let out = g.call("blocking_tcpConnRead", &[A::Int(c), A::Bytes(vec![0; 8])]).await.expect("read");
            if let Some(t) = out.err_text(1) {
                assert_eq!(t, "EOF");
                assert!(!g.vm.sentinels.contains("io"), "io's cache is io's to fill");
                break;
            }
        }
        g.now("tcpConnClose", &[A::Int(c)]);
        no_leaks();
    }

    #[wasm_bindgen_test]
    async fn a_dial_timeout_keeps_gos_text_with_the_sentinel_as_cause() {
        let mut g = setup();
        let url = env!("NET_TEST_BLACKHOLE_URL");
        let out = g.call("dial", &[A::Str("ws"), A::Str(url), A::Int(150_000_000)]).await.expect("dial");
        assert_eq!(out.int(0), 0);
        assert_eq!(out.err_text(1), Some(format!("dial ws {url}: i/o timeout")));
        assert!(errors_is(out.err(1), g.sentinel("net", 1)));
        no_leaks();
    }

    #[wasm_bindgen_test]
    async fn lookups_over_doh_give_vos_ip_shapes() {
        let mut g = setup();
        let out = g.call("lookupIP", &[A::Str("dual.test.example")]).await.expect("lookup");
        assert_eq!(out.ips(0), [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 9, 8, 7].to_vec(), [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7].to_vec()]);
        let out = g.call("lookupHost", &[A::Str("alias.test.example")]).await.expect("lookup");
        assert_eq!(out.strings(0), ["10.9.8.7", "fd00::7"]);
        let out = g.call("lookupAddr", &[A::Str("10.9.8.7")]).await.expect("lookup");
        assert_eq!(out.strings(0), ["dual.test.example."]);
        let out = g.call("resolveTCPAddr", &[A::Str("tcp"), A::Str("a.test.example:80")]).await.expect("resolve");
        assert_eq!(out.addr(0).1, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3]);
        let out = g.call("lookupHost", &[A::Str("nope.test.example")]).await.expect("lookup");
        assert_eq!(out.rets[0], 0);
        assert!(out.err_text(1).expect("nxdomain").ends_with(": no such host"));
        // A replay whose argument is no longer readable gets an error result
        // and its call is abandoned (nothing left pending).
        runtime_wasm::net::dns_clear_cache().expect("clear");
        let mut p = g.parked("lookupHost", &[A::Str("six.test.example")]);
        let token = g.vm.invoke(p.clone(), None).expect_err("waits for DoH");
        p.args[0] = alloc(Obj::Str(vec![0xff])) as u64;
        match g.vm.invoke(p, Some(token)) {
            Ok(Ended::Results(r)) => assert_eq!(error_text((r[1], r[2])).as_deref(), Some("net.lookupHost: argument 1 (host) is not valid UTF-8")),
            other => panic!("{other:?}"),
        }
        assert_eq!((vo::pending(), externs::pending_count()), (0, 0));
        no_leaks();
    }

    #[wasm_bindgen_test]
    async fn http_post_as_http_vo_sends_it() {
        let mut g = setup();
        let id = g.now("nativeNewClientRequest", &[]).int(0);
        let body = b"{\"vo\": true}".to_vec();
        // http.vo's lines: the caller's headers, then Content-Length, and
        // Host only when it differs from the URL's (here it does not).
        let lines = vec!["Content-Type: application/json", "Content-Length: 12"];
        let out = g
            .call("nativeHttpsRequest", &[A::Int(id), A::Str("POST"), A::Str(&http_url("/echo")), A::Strings(lines), A::Flat(body.clone()), A::Int(0)])
            .await
            .expect("post");
        assert_eq!(out.err_text(5), None);
        assert_eq!((out.int(0), out.str(1), out.str(2)), (200, "200 OK".into(), "HTTP/1.1".into()));
        // The echo route describes the request it got.
        let got: serde_json::Value = serde_json::from_slice(&out.bytes(4)).expect("JSON");
        assert_eq!((got["method"].as_str(), got["length"].as_u64(), got["text"].as_str()), (Some("POST"), Some(12), Some("{\"vo\": true}")));
        assert_eq!(got["headers"]["content-type"].as_str(), Some("application/json"));
        assert!(out.strings(3).iter().any(|h| h.to_ascii_lowercase() == "content-type: application/json"));
        g.now("nativeReleaseClientRequest", &[A::Int(id)]);
        // A Content-Length that is not the body's: Go's error.
        let id = g.now("nativeNewClientRequest", &[]).int(0);
        let out = g
            .call("nativeHttpsRequest", &[A::Int(id), A::Str("POST"), A::Str(&http_url("/echo")), A::Strings(vec!["Content-Length: 99"]), A::Bytes(body.clone()), A::Int(0)])
            .await
            .expect("post");
        assert_eq!(out.err_text(5).as_deref(), Some("http: ContentLength=99 with Body length 12"));
        g.now("nativeReleaseClientRequest", &[A::Int(id)]);
        // A Host other than the URL's (req.Host set): the browser cannot send it, and says so.
        let id = g.now("nativeNewClientRequest", &[]).int(0);
        let out = g
            .call("nativeHttpsRequest", &[A::Int(id), A::Str("GET"), A::Str(&http_url("/hello")), A::Strings(vec!["Host: other.example"]), A::Nil, A::Int(0)])
            .await
            .expect("get");
        assert_eq!(out.err_text(5).as_deref(), Some("net/http: the browser sets Host from the URL; Request.host \"other.example\" cannot be sent"));
        g.now("nativeReleaseClientRequest", &[A::Int(id)]);
        no_leaks();
    }

    #[wasm_bindgen_test]
    async fn http_errors_are_vos_once_wrapped_and_timeouts_are_err_request_timeout() {
        let mut g = setup();
        // A CORS-less server: the failure probe runs and names CORS.
        let id = g.now("nativeNewClientRequest", &[]).int(0);
        let out = g.call("nativeHttpsRequest", &[A::Int(id), A::Str("GET"), A::Str(&http_url("/nocors")), A::Strings(vec![]), A::Nil, A::Int(0)]).await.expect("get");
        let text = out.err_text(5).expect("CORS");
        assert!(text.starts_with("net/http: fetch() failed: blocked by CORS: the server answered"), "{text}");
        g.now("nativeReleaseClientRequest", &[A::Int(id)]);
        // Client.Timeout: ErrRequestTimeout itself, under Vo's key "http".
        let id = g.now("nativeNewClientRequest", &[]).int(0);
        let out = g.call("nativeHttpsRequest", &[A::Int(id), A::Str("GET"), A::Str(&blackhole_http_url()), A::Strings(vec![]), A::Nil, A::Int(150_000_000)]).await.expect("get");
        assert_eq!(out.err(5), g.sentinel("http", 0));
        g.now("nativeReleaseClientRequest", &[A::Int(id)]);
        // A cancel from another goroutine while the request waits.
        let id = g.now("nativeNewClientRequest", &[]).int(0);
        let p = g.parked("nativeHttpsRequest", &[A::Int(id), A::Str("GET"), A::Str(&blackhole_http_url()), A::Strings(vec![]), A::Nil, A::Int(0)]);
        let token = g.vm.invoke(p, None).expect_err("waits");
        assert_eq!(vo::take_started(), [token]);
        g.now("nativeCancelClientRequest", &[A::Int(id)]);
        let ready = vo::next_ready().await;
        assert_eq!(ready, token);
        assert!(guide::runner::wake(&mut g.vm, ready));
        match g.vm.ended.remove(&token) {
            Some(Ended::Results(r)) => assert_eq!(error_text((r[5], r[6])).as_deref(), Some("context canceled")),
            other => panic!("{other:?}"),
        }
        g.now("nativeReleaseClientRequest", &[A::Int(id)]);
        no_leaks();
    }

    #[wasm_bindgen_test]
    async fn fibers_wait_together_and_a_killed_one_is_cancelled() {
        let mut g = setup();
        let a = dial(&mut g, "ws", &echo_url("")).await;
        let b = dial(&mut g, "ws", &echo_url("")).await;
        let ta = g.vm.invoke(g.parked("blocking_tcpConnRead", &[A::Int(a), A::Bytes(vec![0; 8])]), None).expect_err("waits");
        let tb = g.vm.invoke(g.parked("blocking_tcpConnRead", &[A::Int(b), A::Bytes(vec![0; 8])]), None).expect_err("waits");
        assert!(ta > u32::MAX as u64 && tb > ta, "Vo's u64 tokens");
        assert_eq!(vo::take_started(), [ta, tb]);
        assert_eq!(vo::pending(), 2);
        // b's data arrives first: b's fiber is the one woken.
        g.call("blocking_tcpConnWrite", &[A::Int(b), A::Bytes(b"to b".to_vec())]).await.expect("write");
        let ready = vo::next_ready().await;
        assert_eq!(ready, tb);
        assert!(guide::runner::wake(&mut g.vm, ready));
        // a's fiber is killed: its wake finds no fiber, and the call is cancelled.
        g.vm.kill(ta);
        g.call("blocking_tcpConnWrite", &[A::Int(a), A::Bytes(b"to a".to_vec())]).await.expect("write");
        let ready = vo::next_ready().await;
        assert_eq!(ready, ta);
        assert!(!guide::runner::wake(&mut g.vm, ready));
        assert_eq!(vo::pending(), 0);
        // Nothing the cancelled read would have taken is lost.
        let out = g.call("blocking_tcpConnRead", &[A::Int(a), A::Bytes(vec![0; 8])]).await.expect("read");
        assert_eq!(&out.buf(1)[..out.int(0) as usize], b"to a");
        // The run ends with a call still waiting: cancel_all.
        let tc = g.vm.invoke(g.parked("blocking_tcpConnRead", &[A::Int(a), A::Bytes(vec![0; 8])]), None).expect_err("waits");
        assert!(tc > tb);
        vo::cancel_all();
        assert_eq!((vo::pending(), externs::pending_count()), (0, 0));
        g.now("tcpConnClose", &[A::Int(a)]);
        g.now("tcpConnClose", &[A::Int(b)]);
        no_leaks();
    }

    #[wasm_bindgen_test]
    async fn two_vms_wait_apart_and_end_apart() {
        let mut g1 = setup();
        let mut g2 = Guest::new();
        g2.init_packages(true);
        let a = dial(&mut g1, "ws", &echo_url("")).await;
        let b = dial(&mut g2, "ws", &echo_url("")).await;
        // Each VM's run belongs to its owner; each runner waits on its own.
        let pa = g1.parked("blocking_tcpConnRead", &[A::Int(a), A::Bytes(vec![0; 8])]);
        let ta = vo::with_owner(1, || g1.vm.invoke(pa, None)).expect_err("waits");
        let pb = g2.parked("blocking_tcpConnRead", &[A::Int(b), A::Bytes(vec![0; 8])]);
        let tb = vo::with_owner(2, || g2.vm.invoke(pb, None)).expect_err("waits");
        let mut first = pin!(vo::next_ready_of(1));
        assert!(first.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_pending());
        g2.call("blocking_tcpConnWrite", &[A::Int(b), A::Bytes(b"to b".to_vec())]).await.expect("write");
        assert_eq!(vo::next_ready_of(2).await, tb, "owner 2's token goes to owner 2's runner");
        assert!(first.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_pending(), "and never to owner 1's");
        assert!(guide::runner::wake(&mut g2.vm, tb));
        // Owner 1's run ends: its call is cancelled, owner 2's calls are not touched.
        let pb = g2.parked("blocking_tcpConnRead", &[A::Int(b), A::Bytes(vec![0; 8])]);
        let tb2 = vo::with_owner(2, || g2.vm.invoke(pb, None)).expect_err("waits again");
        vo::cancel_owner(1);
        assert_eq!(vo::pending(), 1);
        assert!(vo::take_started().contains(&tb2));
        g1.call("blocking_tcpConnWrite", &[A::Int(a), A::Bytes(b"to a".to_vec())]).await.expect("write");
        let out = g1.call("blocking_tcpConnRead", &[A::Int(a), A::Bytes(vec![0; 8])]).await.expect("read");
        assert_eq!(&out.buf(1)[..out.int(0) as usize], b"to a", "the cancelled read lost nothing");
        let _ = ta;
        vo::cancel_owner(2);
        assert_eq!((vo::pending(), externs::pending_count()), (0, 0));
        g1.now("tcpConnClose", &[A::Int(a)]);
        g2.now("tcpConnClose", &[A::Int(b)]);
        no_leaks();
    }

    #[wasm_bindgen_test]
    async fn tcp_and_udp_through_the_relay() {
        let mut g = setup();
        use_relay(&peer("wispV2"), net::RelayProtocol::Wisp);
        let redis = peer("redis");
        let c = dial(&mut g, "tcp", &redis).await;
        g.call("blocking_tcpConnWrite", &[A::Int(c), A::Bytes(b"PING\r\n".to_vec())]).await.expect("write");
        let out = g.call("blocking_tcpConnRead", &[A::Int(c), A::Flat(vec![0; 16])]).await.expect("read");
        assert_eq!(&out.buf(1)[..out.int(0) as usize], b"+PONG\r\n");
        assert_eq!(g.now("tcpConnRemoteAddr", &[A::Int(c)]).str(0), redis);
        g.now("tcpConnClose", &[A::Int(c)]);
        let out = g.now("listenPacket", &[A::Str("udp"), A::Str(":0")]);
        let u = out.int(0);
        assert!(u > 0, "{:?}", out.err_text(1));
        let echo = peer("udpEcho");
        let out = g.call("blocking_udpConnWriteTo", &[A::Int(u), A::Flat(b"datagram".to_vec()), A::Str(&echo)]).await.expect("write");
        assert_eq!(out.int(0), 8);
        let out = g.call("blocking_udpConnReadFrom", &[A::Int(u), A::Bytes(vec![0; 64])]).await.expect("read");
        assert_eq!((out.int(0), out.str(1)), (8, echo.clone()));
        assert_eq!(&out.buf(1)[..8], b"datagram");
        assert_eq!(g.now("udpConnLocalAddr", &[A::Int(u)]).str(0), ":0");
        for name in ["udpConnSetDeadline", "udpConnSetReadDeadline", "udpConnSetWriteDeadline"] {
            assert_eq!(g.now(name, &[A::Int(u), A::Int(0)]).err(0), (0, 0), "{name}");
        }
        assert_eq!(g.now("udpConnClose", &[A::Int(u)]).err(0), (0, 0));
        use_relay("", net::RelayProtocol::Wisp);
        no_leaks();
    }

    #[wasm_bindgen_test]
    async fn streamed_bodies_through_the_additions() {
        let mut g = setup();
        let id = g.now("nativeNewClientRequest", &[]).int(0);
        let out = g.call("nativeHttpsRequestStream", &[A::Int(id), A::Str("GET"), A::Str(&http_url("/bytes?n=300000")), A::Strings(vec![]), A::Nil, A::Int(0)]).await.expect("get");
        assert_eq!((out.int(0), out.int(4)), (200, 300000));
        let mut total = 0;
        loop {
            let out = g.call("blocking_responseBodyRead", &[A::Int(id), A::Flat(vec![0; 40000])]).await.expect("read");
            if out.err(1) != (0, 0) {
                assert_eq!(out.err(1), g.sentinel("io", 0));
                break;
            }
            total += out.int(0);
        }
        assert_eq!(total, 300000);
        assert_eq!(g.now("responseBodyClose", &[A::Int(id)]).err(0), (0, 0));
        g.now("nativeReleaseClientRequest", &[A::Int(id)]);
        no_leaks();
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// One argument of `kind`, from arbitrary Unicode, bytes and integers.
    fn arg(kind: externs::Kind) -> BoxedStrategy<A<'static>> {
        let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
        match kind {
            externs::Kind::Str => any::<String>().prop_map(move |s| A::Str(leak(s))).boxed(),
            externs::Kind::Strings => prop::collection::vec(any::<String>(), 0..4)
                .prop_map(move |l| A::Strings(l.into_iter().map(leak).collect()))
                .boxed(),
            externs::Kind::Bytes => prop_oneof![
                prop::collection::vec(any::<u8>(), 0..64).prop_map(A::Bytes),
                prop::collection::vec(any::<u8>(), 0..64).prop_map(A::Flat),
                Just(A::Nil),
            ]
            .boxed(),
            _ => any::<i64>().prop_map(A::Int).boxed(),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Every extern, through the kit, with arbitrary arguments of its
        /// kinds: results at Vo's slots (the model checks the window and the
        /// order), never a panic of this crate, never a wait natively.
        #[test]
        fn every_extern_takes_arbitrary_arguments(pick in any::<prop::sample::Index>(), seed in any::<u64>()) {
            let names = vo_names();
            let name = &names[pick.index(names.len())];
            let ext = vo::find(name).expect("provided");
            let mut runner = proptest::test_runner::TestRunner::new_with_rng(
                ProptestConfig::default(),
                proptest::test_runner::TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &seed.to_le_bytes().repeat(4)),
            );
            let args: Vec<A<'static>> = ext.params.iter().map(|(_, k)| arg(*k).new_tree(&mut runner).expect("value").current()).collect();
            let mut g = Guest::new();
            g.init_packages(true);
            let short = name.rsplit(':').next().unwrap_or_default();
            let out = g.now(short, &args);
            for (i, k) in ext.results.iter().enumerate() {
                if *k == externs::Kind::Error {
                    let slot = ext.results[..i].iter().map(|k| if *k == externs::Kind::Error { 2 } else { 1 }).sum::<usize>();
                    let _ = error_text(out.err(slot)); // a valid error value or nil
                }
            }
            if short == "nativeNewClientRequest" && out.int(0) > 0 {
                g.now("nativeReleaseClientRequest", &[A::Int(out.int(0))]);
            }
        }
    }
}
