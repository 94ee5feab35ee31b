//! net/http's pure parts, natively and in Chromium: Go's header key
//! canonicalization, URL parsing errors, form encoding, request cookies,
//! NewRequest, and the server entry points that must fail.

use runtime_wasm::http::{
    self, canonical_header_key, new_request, url, Body, Cookie, Header, ServeMux, Server, Values,
};
use runtime_wasm::net::Error;

#[macro_use]
mod common;

both! {
    fn canonical_header_keys_match_go() {
        // Go's textproto TestCanonicalMIMEHeaderKey table (the token cases).
        for (input, want) in [
            ("a-b-c", "A-B-C"),
            ("a-1-c", "A-1-C"),
            ("User-Agent", "User-Agent"),
            ("uSER-aGENT", "User-Agent"),
            ("user-agent", "User-Agent"),
            ("USER-AGENT", "User-Agent"),
            ("foo-bar_baz", "Foo-Bar_baz"),
            ("foo-bar$baz", "Foo-Bar$baz"),
            ("foo-bar~baz", "Foo-Bar~baz"),
            ("foo-bar*baz", "Foo-Bar*baz"),
            ("üser-agenT", "üser-agenT"),
            ("a B", "a B"),
            ("C Ontent-Transfer-Encoding", "C Ontent-Transfer-Encoding"),
            ("foo bar", "foo bar"),
            ("WWW-AUTHENTICATE", "Www-Authenticate"),
            ("js.fetch:mode", "js.fetch:mode"),
        ] {
            assert_eq!(canonical_header_key(input), want, "{input:?}");
        }
    }

    fn header_is_gos_map() {
        let mut h = Header::new();
        h.add("accept", "a");
        h.add("ACCEPT", "b");
        assert_eq!(h.values("Accept"), ["a", "b"]);
        assert_eq!(h.get("accept"), "a");
        h.set("Accept", "c");
        assert_eq!(h.values("accept"), ["c"]);
        assert_eq!(h.get("missing"), "");
        assert!(h.values("missing").is_empty());
        let c = h.clone();
        h.del("accept");
        assert!(h.is_empty() && c.has("Accept"));
        let h: Header = [("x-a", "1"), ("X-A", "2"), ("b", "3")].into_iter().collect();
        assert_eq!(h.pairs().collect::<Vec<_>>(), [("B", "3"), ("X-A", "1"), ("X-A", "2")]);
    }

    fn url_parse_matches_go() {
        for ok in [
            "http://www.google.com",
            "http://www.google.com/",
            "http://www.google.com/file%20one%26two",
            "http://user:password@google.com",
            "http://[fe80::1%25en0]:8080/",
            "https://h:443/p?q=1&r=%20#frag",
            "mailto:webmaster@golang.org",
            "/relative?x",
            "http://127.0.0.1:8080/x",
        ] {
            assert_eq!(url::parse(ok).map(|u| u.to_string()), Ok(ok.to_string()), "{ok}");
        }
        let u = url::parse("HTTP://[::1]:8080/p").unwrap();
        assert_eq!((u.scheme.as_str(), u.hostname(), u.port(), u.path.as_str()), ("http", "::1", "8080", "/p"));
        assert_eq!(url::parse("http://h.example/x").unwrap().port(), "");
        for (bad, msg) in [
            ("://x", "parse \"://x\": missing protocol scheme"),
            ("http://a b.com/", "parse \"http://a b.com/\": invalid character \" \" in host name"),
            ("http://h:8x/", "parse \"http://h:8x/\": invalid port \":8x\" after host"),
            ("http://[::1/", "parse \"http://[::1/\": missing ']' in host"),
            ("http://h/%zz", "parse \"http://h/%zz\": invalid URL escape \"%zz\""),
            ("http://h/\x7f", "parse \"http://h/\x7f\": net/url: invalid control character in URL"),
            ("a:b/c:d", "OPAQUE"),
            ("x:y", "OPAQUE"),
            ("1http://x", "parse \"1http://x\": first path segment in URL cannot contain colon"),
        ] {
            match url::parse(bad) {
                Err(e) => assert_eq!(e.to_string(), msg, "{bad:?}"),
                Ok(u) => assert_eq!(msg, "OPAQUE", "{bad:?} parsed as {u:?}"),
            }
        }
    }

    fn values_encode_like_go() {
        let v: Values = [("q", "puppies"), ("oe", "utf8"), ("x", "a b&c=d/é")].into_iter().collect();
        assert_eq!(v.encode(), "oe=utf8&q=puppies&x=a+b%26c%3Dd%2F%C3%A9");
        assert_eq!(Values::new().encode(), "");
        assert_eq!(v.get("q"), "puppies");
    }

    fn new_request_like_go() {
        let r = new_request("", "https://h.example/a?b", ()).unwrap();
        assert_eq!((r.method.as_str(), r.host.as_str(), r.content_length), ("GET", "h.example", 0));
        assert_eq!(new_request("POST", "http://h/", "abc").unwrap().content_length, 3);
        assert_eq!(new_request("POST", "http://h/", vec![1u8, 2]).unwrap().content_length, 2);
        assert!(matches!(new_request("POST", "http://h/", Body::Empty).unwrap().body, Body::Empty));
        assert_eq!(new_request("bad method", "http://h/", ()).unwrap_err().to_string(), "net/http: invalid method \"bad method\"");
        assert_eq!(new_request("GET", "://x", ()).unwrap_err().to_string(), "parse \"://x\": missing protocol scheme");
    }

    fn request_cookies_like_go() {
        let mut r = new_request("GET", "http://h/", ()).unwrap();
        r.header.add("Cookie", "Cookie-1=v$1; c2=\"v2\"; bad name=x; c3=ok;;  ");
        r.header.add("Cookie", "c4=a\\b; c5=");
        let got: Vec<(String, String, bool)> = r.cookies().into_iter().map(|c| (c.name, c.value, c.quoted)).collect();
        assert_eq!(
            got,
            [
                ("Cookie-1".into(), "v$1".into(), false),
                ("c2".into(), "v2".into(), true),
                ("c3".into(), "ok".into(), false),
                ("c5".into(), "".into(), false),
            ]
        );
        assert_eq!(r.cookie("c3").map(|c| c.value), Ok("ok".to_string()));
        assert_eq!(r.cookie("nope").unwrap_err().to_string(), "http: named cookie not present");
        let mut r = new_request("GET", "http://h/", ()).unwrap();
        r.add_cookie(&Cookie { name: "a".into(), value: "1".into(), quoted: false });
        r.add_cookie(&Cookie { name: "b".into(), value: "2 3".into(), quoted: true });
        assert_eq!(r.header.get("Cookie"), "a=1; b=\"2 3\"");
    }

    fn servers_say_they_cannot_serve() {
        let e = http::listen_and_serve(":8080", None).unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("listen tcp :8080: HTTP servers are not available in browser WebAssembly"), "{msg}");
        assert!(matches!(e.root(), Error::Unsupported { .. }));
        let mut mux = ServeMux::new();
        mux.handle_func("/", |_: ()| {});
        assert_eq!(mux.patterns(), ["/"]);
        let s = Server { addr: "127.0.0.1:9000".into(), handler: Some(mux) };
        assert!(s.listen_and_serve().unwrap_err().to_string().starts_with("listen tcp 127.0.0.1:9000: "));
        assert!(s.listen_and_serve_tls("c.pem", "k.pem").is_err());
        assert!(s.serve(()).is_err());
        assert!(Server::default().listen_and_serve().unwrap_err().to_string().starts_with("listen tcp :http: "));
        assert!(http::listen_and_serve_tls(":443", "c", "k", None).is_err());
        assert!(http::serve((), None).is_err());
        assert_eq!(http::status_text(404), "Not Found");
        assert_eq!(http::status_text(299), "");
    }
}
