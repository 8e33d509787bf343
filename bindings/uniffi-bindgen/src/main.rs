//! `cargo run -p uniffi-bindgen -- generate --library <libseedance_uniffi.so> --language kotlin …`
//! (see `scripts/uniffi-generate`).
#![allow(missing_docs)] // a binary

fn main() {
    uniffi::uniffi_bindgen_main()
}
