//! The browser half of Latchkey: the islands of the server-rendered page (each in its
//! own chunk of the bundle, loaded when the page has one) and nothing else.

// The islands' entry points are exported from the `app` crate; naming it links them in.
extern crate app;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    app::pages::mark_if_no_islands();
}
