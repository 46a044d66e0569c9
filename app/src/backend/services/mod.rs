//! The business logic. Each function takes the state and domain values, returns domain
//! values or an `AppError`, and is called by both a server function and a REST route.

pub mod accounts;
pub mod codes;
pub mod email;
pub mod maintenance;
pub mod passwords;
pub mod pictures;
pub mod recovery;
pub mod sessions;
pub mod throttle;
pub mod tokens;
