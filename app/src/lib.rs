//! Latchkey's shared crate: the domain types, the error type, the server functions and
//! the pages, seen by both the browser (feature `hydrate`) and the server (feature `ssr`).
//! `backend` holds what only the server runs.

pub mod api;
pub mod domain;
pub mod error;
pub mod pages;

#[cfg(feature = "ssr")]
pub mod backend;

pub use error::AppError;
pub use pages::{shell, App};
