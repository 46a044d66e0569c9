use super::moment;
use crate::api::account::{SignOutDevice, SignOutOtherDevices};
use crate::domain::{Device, Page};
use crate::pages::components::form::PostForm;
use crate::AppError;
use leptos::prelude::*;

/// The signed-in devices, with a way to sign out any of them or all the others.
#[component]
pub fn DevicesSection(
    devices: ReadSignal<Result<Page<Device>, AppError>>,
    sign_out: ServerAction<SignOutDevice>,
    sign_out_others: ServerAction<SignOutOtherDevices>,
) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="devices-title">
            <h2 id="devices-title">"Signed-in devices"</h2>
            {move || {
                match devices.get() {
                    Ok(Page { items: devices, total }) => {
                        let shown = devices.len();
                        let others = total - devices.iter().filter(|d| d.current).count();
                        view! {
                            <ul class="devices" data-testid="devices">
                                {devices
                                    .into_iter()
                                    .map(|device| view! { <DeviceRow device sign_out/> })
                                    .collect_view()}
                            </ul>
                            {(total > shown).then(|| view! {
                                <p class="muted">{format!("The {shown} most recently active of {total} devices.")}</p>
                            })}
                            {(others > 0).then(|| view! {
                                <PostForm action=sign_out_others class="form-actions" call=|| SignOutOtherDevices {}>
                                    <button type="submit" class="button secondary">
                                        "Sign out all other devices"
                                    </button>
                                </PostForm>
                            })}
                        }
                        .into_any()
                    }
                    Err(error) => view! { <p class="alert error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            }}
        </section>
    }
}

#[component]
fn DeviceRow(device: Device, sign_out: ServerAction<SignOutDevice>) -> impl IntoView {
    let name = device.describe();
    let label = format!("Sign out {name}");
    view! {
        <li class="device" class:current=device.current>
            <div>
                <strong>{name}</strong>
                {device.current.then(|| view! { " " <span class="badge ok">"This device"</span> })}
                <p class="muted">
                    {format!(
                        "Signed in {} · last active {} · {}",
                        moment(device.created_at),
                        moment(device.last_seen_at),
                        device.address
                    )}
                </p>
            </div>
            {(!device.current).then(|| view! {
                <PostForm action=sign_out class="inline-form" call={
                    let id = device.id.clone();
                    move || SignOutDevice { id: id.clone() }
                }>
                    <input type="hidden" name="id" value=device.id.clone()/>
                    <button type="submit" class="button secondary" aria-label=label>"Sign out"</button>
                </PostForm>
            })}
        </li>
    }
}
