//! The account's identities at outside OpenID providers.

use crate::domain::LinkedIdentity;
use crate::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {crate::api::RequestContext, backend::services::oidc};

#[server(prefix = "/fn", endpoint = "account/identities")]
pub async fn list_identities() -> Result<Vec<LinkedIdentity>, AppError> {
    let cx = RequestContext::get()?;
    let user = cx.user().await?;
    oidc::identities(&cx.state, &user.id).await
}

/// Unlinks an identity (refused for the account's last way to sign in).
#[server(prefix = "/fn", endpoint = "account/identities/unlink")]
pub async fn unlink_identity(id: String) -> Result<(), AppError> {
    let cx = RequestContext::get()?;
    let result = async {
        let user = cx.user().await?;
        oidc::unlink(&cx.state, &user.id, &id).await?;
        cx.redirect_form("/account?identity=unlinked#identities");
        Ok(())
    }
    .await;
    cx.finish_form_at::<UnlinkIdentity, _>(result, &[], "#identities")
}
