use super::components::avatar::Avatar;
use super::components::guard::RequireUser;
use leptos::prelude::*;
use leptos_meta::Title;

/// The signed-in home: who you are. Anyone else is sent to sign in.
#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text="Your account"/>
        <RequireUser children=|user| {
            let greeting = format!("Hello, {}", user.display_name());
            let member_since = user.created_at.date().to_string();
            let verified = user.email_verified;
            view! {
                <section class="card" aria-labelledby="home-title">
                    <div class="picture-row">
                        <Avatar user=user.clone()/>
                        <div>
                            <h1 id="home-title">{greeting}</h1>
                            <p class="lead">"You are signed in."</p>
                            <a class="button secondary" href="/account">"Edit your account"</a>
                        </div>
                    </div>
                    <dl class="facts">
                        <dt>"Username"</dt>
                        <dd data-testid="home-username">{user.username}</dd>
                        <dt>"Email"</dt>
                        <dd>
                            <span data-testid="home-email">{user.email}</span>
                            " "
                            {if verified {
                                view! { <span class="badge ok">"verified"</span> }
                            } else {
                                view! { <span class="badge">"not verified"</span> }
                            }}
                        </dd>
                        <dt>"Role"</dt>
                        <dd>{user.role.as_str()}</dd>
                        <dt>"Member since"</dt>
                        <dd><time datetime=member_since.clone()>{member_since.clone()}</time></dd>
                    </dl>
                </section>
            }
        }/>
    }
}
