//! Server functions, one module per area. Each is a public endpoint: it parses its input,
//! checks who is calling, and calls a service; it holds no business logic itself.

pub mod account;
pub mod auth;

#[cfg(feature = "ssr")]
mod context;
#[cfg(feature = "ssr")]
pub use context::{RequestContext, SignedInUser};
