use crate::domain::User;
use leptos::prelude::*;

/// The account's picture, or its initial on a coloured disc when it has none.
#[component]
pub fn Avatar(user: User, #[prop(default = "large")] size: &'static str) -> impl IntoView {
    let class = format!("avatar {size}");
    match user.picture_url.clone() {
        Some(url) => {
            view! { <img class=class src=url alt="" data-testid="avatar-image"/> }.into_any()
        }
        None => {
            let initial = user
                .display_name()
                .chars()
                .next()
                .map(|c| c.to_uppercase().to_string())
                .unwrap_or_default();
            view! { <span class=class aria-hidden="true">{initial}</span> }.into_any()
        }
    }
}
