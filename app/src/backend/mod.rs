//! Everything only the server runs: configuration, state, services and storage.
//!
//! Adapters (server functions in `crate::api`, REST routes in the `server` crate) parse
//! and authorize, then call a service here; services call the store. Services never see
//! HTTP types.

pub mod blobs;
pub mod config;
pub mod cpu;
pub mod mail;
pub mod request;
pub mod secrets;
pub mod services;
pub mod state;
pub mod store;

pub use request::{internal_error, ClientInfo};
pub use state::AppState;
