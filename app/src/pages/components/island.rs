//! What every island (`#[island]`: the parts of a page the browser runs) shares: taking
//! in a submission's result, going on to another page, and saying it has hydrated.
//!
//! There is no router in the browser: each page is rendered by the server, so going
//! somewhere after a submission is a full page load, and the page arrives already
//! knowing who is signed in.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// Runs `then` with the output of each successful submission of `action`. A form
/// posted without JavaScript is redirected by the server instead.
pub fn on_success<S>(action: ServerAction<S>, then: impl Fn(S::Output) + 'static)
where
    S: ServerFn + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
    S::Error: Clone + Send + Sync + 'static,
{
    Effect::watch(
        move || action.value().get(),
        move |value, _, _| {
            if let Some(Ok(output)) = value {
                then(output.clone());
            }
        },
        false,
    );
}

/// Loads `path` (a page of this site), as following a link would.
pub fn go_to(path: &str) {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().location().assign(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

/// Called first by every island. Once all the islands of the page have hydrated, the
/// page says so (`<body data-hydrated="true">`): end-to-end tests wait for it before
/// they type, so that what they type reaches the island's code.
pub fn hydrated() {
    // Effects run in the browser only, after the island hydrated.
    Effect::new(|| {
        #[cfg(feature = "hydrate")]
        {
            use std::sync::atomic::{AtomicU32, Ordering};
            static HYDRATED: AtomicU32 = AtomicU32::new(0);
            let hydrated = HYDRATED.fetch_add(1, Ordering::Relaxed) + 1;
            if hydrated >= island_count() {
                mark_page_hydrated();
            }
        }
    });
}

/// For a page without islands: hydrated as soon as the bundle runs.
#[cfg(feature = "hydrate")]
pub fn mark_if_no_islands() {
    if island_count() == 0 {
        mark_page_hydrated();
    }
}

#[cfg(feature = "hydrate")]
fn island_count() -> u32 {
    document()
        .query_selector_all("leptos-island")
        .map(|islands| islands.length())
        .unwrap_or(0)
}

#[cfg(feature = "hydrate")]
fn mark_page_hydrated() {
    if let Some(body) = document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
