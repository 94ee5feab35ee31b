//! Go's `http.Header`: a map from canonical keys to lists of values.

use std::collections::BTreeMap;

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

    pub fn del(&mut self, key: &str) {
        self.0.remove(&canonical_header_key(key));
    }

    pub fn has(&self, key: &str) -> bool {
        self.0.contains_key(&canonical_header_key(key))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

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
