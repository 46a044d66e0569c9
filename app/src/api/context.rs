use crate::backend::{internal_error, AppState, ClientInfo};
use crate::error::AppError;
use http::request::Parts;
use leptos::prelude::use_context;
use tower_sessions::Session;

/// What a server function gets from the request it serves: the shared state, the
/// session, the client and the request head.
pub struct RequestContext {
    pub state: AppState,
    pub session: Session,
    pub client: ClientInfo,
    pub parts: Parts,
}

impl RequestContext {
    /// Reads the context that the router provides to every server function and page.
    pub fn get() -> Result<RequestContext, AppError> {
        let missing =
            |what: &str| internal_error(format!("{what} missing from the request context"));
        let parts = use_context::<Parts>().ok_or_else(|| missing("request parts"))?;
        let state = use_context::<AppState>().ok_or_else(|| missing("application state"))?;
        let session = parts
            .extensions
            .get::<Session>()
            .cloned()
            .ok_or_else(|| missing("session"))?;
        let client = parts
            .extensions
            .get::<ClientInfo>()
            .cloned()
            .ok_or_else(|| missing("client info"))?;
        Ok(RequestContext {
            state,
            session,
            client,
            parts,
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.parts.headers.get(name).and_then(|v| v.to_str().ok())
    }
}
