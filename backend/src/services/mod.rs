#![warn(missing_docs)]
//! The business logic. Each function takes the state and domain values, returns domain
//! values or an `AppError`, and is called by both a server function and a REST route;
//! none sees an HTTP type (a session handle, a multipart reader): the adapters turn a
//! request into domain values first.
//!
//! Imports run one way, from the workflows down to the leaves:
//!
//! - workflows: `accounts`, `email`, `recovery`, `codes`, `pictures`, `sessions`,
//!   `api_tokens`, `grants` (signed URLs and tickets), `oidc` (outside providers),
//!   `maintenance`;
//! - leaves they share: `users` (finding accounts), `credentials` (checking passwords
//!   under the throttle), `notices` (mail that several workflows send), `tokens`
//!   (one-time links), `throttle`, `passwords` (the hasher).

pub mod accounts;
pub mod api_tokens;
pub mod codes;
pub mod credentials;
pub mod email;
pub mod grants;
pub mod maintenance;
pub mod notices;
pub mod oidc;
pub mod passwords;
pub mod pictures;
pub mod recovery;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod users;
