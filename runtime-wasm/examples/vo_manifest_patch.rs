fn main() { print!("{}", runtime_wasm::vo::manifest_patch()); }
