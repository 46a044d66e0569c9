use super::moment;
use crate::api::account::{list_devices, ChangePassword, SignOutDevice, SignOutOtherDevices};
use crate::domain::Device;
use leptos::form::ActionForm;
use leptos::prelude::*;

/// The signed-in devices, with a way to sign out any of them or all the others.
#[component]
pub fn DevicesSection(
    sign_out: ServerAction<SignOutDevice>,
    sign_out_others: ServerAction<SignOutOtherDevices>,
    password: ServerAction<ChangePassword>,
) -> impl IntoView {
    let devices = Resource::new(
        move || {
            (
                sign_out.version().get(),
                sign_out_others.version().get(),
                password.version().get(),
            )
        },
        |_| list_devices(),
    );
    view! {
        <section class="card" aria-labelledby="devices-title">
            <h2 id="devices-title">"Signed-in devices"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match devices.await {
                        Ok(devices) => {
                            let others = devices.iter().filter(|d| !d.current).count();
                            view! {
                                <ul class="devices" data-testid="devices">
                                    {devices
                                        .into_iter()
                                        .map(|device| view! { <DeviceRow device sign_out/> })
                                        .collect_view()}
                                </ul>
                                {(others > 0).then(|| view! {
                                    <ActionForm action=sign_out_others attr:class="form-actions">
                                        <button type="submit" class="button secondary">
                                            "Sign out all other devices"
                                        </button>
                                    </ActionForm>
                                })}
                            }
                            .into_any()
                        }
                        Err(error) => view! { <p class="alert error" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
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
                <ActionForm action=sign_out attr:class="inline-form">
                    <input type="hidden" name="id" value=device.id.clone()/>
                    <button type="submit" class="button secondary" aria-label=label>"Sign out"</button>
                </ActionForm>
            })}
        </li>
    }
}
