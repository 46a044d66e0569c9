use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// An identity at an outside OpenID provider, linked to the account: a way to sign in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LinkedIdentity {
    /// Names the link in the API, e.g. to unlink it.
    pub id: String,
    /// The provider's id in this site's configuration.
    pub provider: String,
    /// Who the person is at the provider (its `sub`).
    pub subject: String,
    /// The address the provider gave when the identity was linked, if any.
    pub email: Option<String>,
    /// When it was linked.
    #[serde(with = "time::serde::rfc3339")]
    pub linked_at: OffsetDateTime,
}

/// Why a sign-in (or a link) through an outside provider did not happen. It travels in
/// the URL of the page the browser is sent back to (`/login?oidc=...`), which says it in
/// words; nothing the provider or the URL says is shown as it came.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProviderProblem {
    /// The provider cannot be reached (or its discovery document is unusable).
    Unavailable,
    /// The provider answered with an error (the person cancelled, or it refused).
    Refused,
    /// The answer does not belong to a sign-in this browser started (no, another or an
    /// expired `state`).
    WrongState,
    /// The code could not be exchanged (spent, expired, or the provider refused it).
    CodeRefused,
    /// The ID token failed a check (signature, issuer, audience, expiry, nonce).
    BadToken,
    /// The provider gave no email address, which a new account needs.
    NoEmail,
    /// A new identity whose address belongs to an account here: never linked on its own.
    EmailTaken,
    /// A new identity, and registration is not open.
    RegistrationClosed,
    /// The identity is linked to another account.
    LinkedElsewhere,
    /// The account is disabled.
    AccountDisabled,
    /// The account must confirm its address before it can sign in.
    EmailNotVerified,
    /// A link was started from another site (it could link an identity the attacker
    /// signed the browser in to at the provider): linking starts from the account page.
    CrossSiteLink,
}

impl ProviderProblem {
    const ALL: [ProviderProblem; 12] = [
        ProviderProblem::Unavailable,
        ProviderProblem::Refused,
        ProviderProblem::WrongState,
        ProviderProblem::CodeRefused,
        ProviderProblem::BadToken,
        ProviderProblem::NoEmail,
        ProviderProblem::EmailTaken,
        ProviderProblem::RegistrationClosed,
        ProviderProblem::LinkedElsewhere,
        ProviderProblem::AccountDisabled,
        ProviderProblem::EmailNotVerified,
        ProviderProblem::CrossSiteLink,
    ];

    /// Its name in URLs and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderProblem::Unavailable => "unavailable",
            ProviderProblem::Refused => "refused",
            ProviderProblem::WrongState => "wrong_state",
            ProviderProblem::CodeRefused => "code_refused",
            ProviderProblem::BadToken => "bad_token",
            ProviderProblem::NoEmail => "no_email",
            ProviderProblem::EmailTaken => "email_taken",
            ProviderProblem::RegistrationClosed => "registration_closed",
            ProviderProblem::LinkedElsewhere => "linked_elsewhere",
            ProviderProblem::AccountDisabled => "account_disabled",
            ProviderProblem::EmailNotVerified => "email_not_verified",
            ProviderProblem::CrossSiteLink => "cross_site_link",
        }
    }

    /// The problem a URL names, if it names one.
    pub fn parse(name: &str) -> Option<ProviderProblem> {
        ProviderProblem::ALL
            .into_iter()
            .find(|problem| problem.as_str() == name)
    }

    /// What the person is told.
    pub fn message(self) -> &'static str {
        match self {
            ProviderProblem::Unavailable => {
                "That provider cannot be reached right now. Try again later, or sign in another way."
            }
            ProviderProblem::Refused => "The provider did not sign you in.",
            ProviderProblem::WrongState => {
                "That sign-in had expired or was not started in this browser. Please try again."
            }
            ProviderProblem::CodeRefused | ProviderProblem::BadToken => {
                "The provider's answer could not be verified, so nothing was signed in. Please try again."
            }
            ProviderProblem::NoEmail => {
                "The provider did not share an email address, which an account here needs."
            }
            ProviderProblem::EmailTaken => {
                "An account with this email address already exists. Sign in to it, then link the provider from your account page."
            }
            ProviderProblem::RegistrationClosed => {
                "No account here is linked to that identity, and registration is closed."
            }
            ProviderProblem::LinkedElsewhere => {
                "That identity is already linked to another account."
            }
            ProviderProblem::AccountDisabled => "This account is disabled.",
            ProviderProblem::EmailNotVerified => {
                "Confirm your email address first: open the link we sent you."
            }
            ProviderProblem::CrossSiteLink => {
                "Nothing was linked: link a provider with its button on this page."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ProviderProblem;

    #[test]
    fn every_problem_reads_back_from_its_name() {
        for problem in ProviderProblem::ALL {
            assert_eq!(ProviderProblem::parse(problem.as_str()), Some(problem));
            assert!(!problem.message().is_empty());
        }
        assert_eq!(ProviderProblem::parse("<script>"), None);
    }
}
