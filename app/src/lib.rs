//! Latchkey's Leptos crate: the pages and the server functions, seen by both the browser
//! (feature `hydrate`) and the server (feature `ssr`). The domain types come from the
//! `domain` crate (re-exported here as `app::domain`); what only the server runs is the
//! `backend` crate, which the server functions call.

pub mod api;
pub mod pages;

pub use domain;
pub use domain::AppError;
pub use pages::{shell, App};
