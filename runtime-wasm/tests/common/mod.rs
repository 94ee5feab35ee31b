//! Shared by the integration tests that run both natively (`cargo test`) and
//! in headless Chromium (`wasm-bindgen-test-runner`).

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[cfg(target_arch = "wasm32")]
#[allow(dead_code)]
pub mod browser;

/// Declares tests that are `#[test]` natively and `#[wasm_bindgen_test]` in
/// the browser: the same body, the same assertions, in both places.
#[allow(unused_macros)]
macro_rules! both {
    ($(fn $name:ident() $body:block)*) => {$(
        #[cfg_attr(not(target_arch = "wasm32"), test)]
        #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
        fn $name() $body
    )*};
}
