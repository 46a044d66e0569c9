//! Latchkey's backend: everything only the server runs, with no web framework in it:
//! configuration, state, the services (the business logic), the store (SQLite or
//! Postgres), mail, secrets.
//!
//! Adapters (server functions in `app::api`, REST routes in the `server` crate) parse
//! and authorize, then call a service here; services call the store. Services never see
//! HTTP types.

pub mod blobs;
pub mod clock;
pub mod config;
pub mod cpu;
pub mod mail;
pub mod oidc;
pub mod request;
pub mod secrets;
pub mod services;
pub mod session_store;
pub mod state;
pub mod store;

pub use request::{internal_error, ClientInfo};
pub use state::AppState;
