//! Go's `http.Header`: a map from canonical keys to lists of values.

use std::collections::BTreeMap;

use crate::net::Error;

/// Go's `textproto` token bytes: the bytes a header name may hold.
fn is_token_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

/// Go's `CanonicalHeaderKey`: "content-type" -> "Content-Type". A key with a
/// byte that is not a token byte (a space, a non-ASCII letter) is returned
/// unchanged, as Go does.
pub fn canonical_header_key(s: &str) -> String {
    if !s.bytes().all(is_token_byte) {
        return s.to_string();
    }
    let mut upper = true;
    s.bytes()
        .map(|c| {
            let c = if upper {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            };
            upper = c == b'-';
            char::from(c)
        })
        .collect()
}

/// Go's `http.Header`. Keys are canonicalized on every call, so `get("content-type")`
/// and `get("Content-Type")` are the same entry. Iteration is in key order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header(BTreeMap<String, Vec<String>>);

impl Header {
    /// An empty header.
    pub fn new() -> Header {
        Header::default()
    }

    /// Appends a value to the key's list.
    pub fn add(&mut self, key: &str, value: impl Into<String>) {
        self.0
            .entry(canonical_header_key(key))
            .or_default()
            .push(value.into());
    }

    /// Replaces the key's values with one value.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.0.insert(canonical_header_key(key), vec![value.into()]);
    }

    /// The first value, or "" when there is none (Go's `Get`).
    pub fn get(&self, key: &str) -> &str {
        self.values(key).first().map(String::as_str).unwrap_or("")
    }

    /// Every value of the key (Go's `Values`).
    pub fn values(&self, key: &str) -> &[String] {
        self.0
            .get(&canonical_header_key(key))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Removes every value of `key` (canonicalized).
    pub fn del(&mut self, key: &str) {
        self.0.remove(&canonical_header_key(key));
    }

    /// Whether `key` (canonicalized) has a value.
    pub fn has(&self, key: &str) -> bool {
        self.0.contains_key(&canonical_header_key(key))
    }

    /// The number of distinct keys.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// (key, values) in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    /// Every (key, value) pair, one per value.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .flat_map(|(k, vs)| vs.iter().map(move |v| (k.as_str(), v.as_str())))
    }
}

impl<K: AsRef<str>, V: Into<String>> FromIterator<(K, V)> for Header {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Header {
        let mut h = Header::new();
        for (k, v) in iter {
            h.add(k.as_ref(), v);
        }
        h
    }
}

/// "Name: value" lines (the form Vo's externs carry headers in) into `header`, as Go's textproto
/// reads them: the name up to the first colon, the value trimmed. Go's
/// fetch options are header names with a colon inside (`js.fetch:mode`),
/// so for a line starting `js.fetch:` the name runs to the second colon;
/// the fetch transport then takes them as options and sends none of them.
pub fn parse_header_lines(header: &mut Header, lines: &[String]) -> Result<(), Error> {
    const JS_FETCH: &str = "js.fetch:";
    for line in lines {
        let skip = match line.get(..JS_FETCH.len()) {
            Some(p) if p.eq_ignore_ascii_case(JS_FETCH) => JS_FETCH.len(),
            _ => 0,
        };
        let split = line[skip..].find(':').map(|i| (&line[..skip + i], &line[skip + i + 1..]));
        match split {
            Some((k, v)) if !k.trim().is_empty() && k.trim().len() > skip => header.add(k.trim(), v.trim()),
            _ => {
                return Err(Error::other(format!(
                    "net/http: malformed header line {line:?} (want \"Name: value\")"
                )))
            }
        }
    }
    Ok(())
}


#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(lines: &[&str]) -> Result<Vec<(String, String)>, String> {
        let mut h = Header::new();
        let lines: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
        parse_header_lines(&mut h, &lines).map_err(|e| e.to_string())?;
        Ok(h.pairs().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn js_fetch_options_keep_their_name_whole() {
        assert_eq!(
            parsed(&["js.fetch:mode: no-cors", "JS.FETCH:credentials:include", "x-a: b: c"]),
            Ok(vec![
                ("JS.FETCH:credentials".into(), "include".into()),
                ("X-A".into(), "b: c".into()),
                ("js.fetch:mode".into(), "no-cors".into()),
            ])
        );
        for bad in ["js.fetch:mode", "js.fetch:: x", ": v", "no colon", "js.fetch:"] {
            assert!(parsed(&[bad]).is_err(), "{bad:?}");
        }
        // Multi-byte text around the colons is never cut inside a character.
        assert!(parsed(&["é:é", "js.fetch:é: x"]).is_ok());
        assert!(parsed(&["js.fetcé: x"]).is_ok());
    }
}
