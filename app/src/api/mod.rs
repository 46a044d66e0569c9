//! Server functions, one module per area. Each is a public endpoint: it parses its input,
//! checks who is calling, and calls a service; it holds no business logic itself.
//!
//! On the server, this is also where the web glue shared by server functions and the REST
//! routes lives: the request context, the browser session and the picture upload.

pub mod account;
pub mod auth;
pub mod identities;
pub mod tokens;

#[cfg(feature = "ssr")]
mod context;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod upload;
#[cfg(feature = "ssr")]
pub use context::{RequestContext, SignedInUser};
