use crate::AppError;
use backend::{internal_error, AppState, ClientInfo};
use http::request::Parts;
use leptos::prelude::use_context;
use leptos::server_fn::error::ServerFnUrlError;
use leptos::server_fn::ServerFn;
use leptos_axum::ResponseOptions;
use tower_sessions::Session;

/// Who is signed in on the request being served, resolved once by the router before a
/// page renders (with `sessions::current_user`, as the REST routes do) and handed to the
/// page from the request's extensions.
#[derive(Clone, Debug)]
pub struct SignedInUser(pub Option<crate::domain::User>);

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

    /// The signed-in account; 401 when there is none.
    pub async fn user(&self) -> Result<crate::domain::User, AppError> {
        super::session::current_user(&self.state, &self.session)
            .await?
            .ok_or(AppError::Unauthenticated)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.parts.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Whether a form was posted by the browser itself, without JavaScript (it then wants
    /// a page back, not data).
    pub(crate) fn is_plain_form_post(&self) -> bool {
        self.header("accept")
            .is_some_and(|a| a.contains("text/html"))
    }

    /// Sends a form posted without JavaScript on to `path` (a 302). With JavaScript the
    /// island takes the result in and goes on by itself (`island::on_success`).
    pub fn redirect_form(&self, path: &str) {
        if self.is_plain_form_post() {
            leptos_axum::redirect(path);
        }
    }

    /// Ends a server function that a form submits (`S`). An error gets its own status
    /// instead of a generic 500. A form posted without JavaScript is sent back to its
    /// page with the error and the fields in `keep` (never a secret), so the page shows
    /// the message next to the field and what the person typed.
    pub fn finish_form<S: ServerFn, T>(
        &self,
        result: Result<T, AppError>,
        keep: &[(&str, &str)],
    ) -> Result<T, AppError> {
        self.finish_form_at::<S, T>(result, keep, "")
    }

    /// `finish_form`, sending a form posted without JavaScript back to the part of its
    /// page that shows the error (`anchor`, like `#identities`).
    pub fn finish_form_at<S: ServerFn, T>(
        &self,
        result: Result<T, AppError>,
        keep: &[(&str, &str)],
        anchor: &str,
    ) -> Result<T, AppError> {
        let Err(error) = &result else { return result };
        if let Some(response) = use_context::<ResponseOptions>() {
            if let Ok(status) = http::StatusCode::from_u16(error.status()) {
                response.set_status(status);
            }
        }
        if self.is_plain_form_post() {
            if let Some(location) = self.form_page(S::PATH, error, keep) {
                leptos_axum::redirect(&format!("{location}{anchor}"));
            }
        }
        result
    }

    /// The page the form was posted from (its path and query, from `Referer`), with the
    /// kept fields and the encoded error in the query.
    fn form_page(&self, path: &str, error: &AppError, keep: &[(&str, &str)]) -> Option<String> {
        let mut page = url::Url::parse(self.header("referer")?).ok()?;
        let mut replaced: Vec<&str> = keep.iter().map(|(name, _)| *name).collect();
        replaced.extend(["__path", "__err"]);
        let query: Vec<(String, String)> = page
            .query_pairs()
            .filter(|(name, _)| !replaced.contains(&name.as_ref()))
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .chain(
                keep.iter()
                    .filter(|(_, value)| !value.is_empty())
                    .map(|(name, value)| (name.to_string(), value.to_string())),
            )
            .collect();
        page.query_pairs_mut().clear().extend_pairs(query);
        let page = ServerFnUrlError::new(path, error.clone())
            .to_url(page.as_str())
            .ok()?;
        Some(match page.query() {
            Some(query) => format!("{}?{query}", page.path()),
            None => page.path().to_owned(),
        })
    }
}
