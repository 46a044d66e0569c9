//! `/account`: the caller's own profile.

use super::extract::CurrentUser;
use app::domain::User;
use axum::Json;

pub async fn profile(CurrentUser(user): CurrentUser) -> Json<User> {
    Json(user)
}
