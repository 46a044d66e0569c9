//! The profile picture: choose or drop an image, see it, watch it upload, replace or
//! remove it. Uploads go to the `upload_picture` server function with XMLHttpRequest,
//! the one browser API that reports upload progress; without JavaScript the same
//! endpoint takes a plain multipart form. The header shows the picture too, so a saved
//! or removed picture loads the page again.

use super::PICTURE_SAVED;
use crate::api::account::{RemovePicture, UploadPicture};
use crate::domain::User;
use crate::pages::components::avatar::Avatar;
use crate::pages::components::form::{submission_error, FormAlert, PageError, PostForm};
use crate::pages::components::island::go_to;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// Where an upload stands (only the browser uploads; the server renders `Idle`).
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub enum Upload {
    Idle,
    /// Sending; the fraction sent so far, when the browser knows it.
    Sending(Option<f64>),
    Done,
    Failed(String),
}

/// `saved`: the page was loaded again after an upload.
#[component]
pub fn PictureSection(
    user: User,
    remove: ServerAction<RemovePicture>,
    max_bytes: usize,
    saved: bool,
    error: Option<PageError>,
) -> impl IntoView {
    let upload = RwSignal::new(if saved { Upload::Done } else { Upload::Idle });
    // An object URL of the chosen file, shown while it uploads.
    let preview = RwSignal::new(None::<String>);
    let remove_error = submission_error(remove, error);
    let has_picture = user.picture_url.is_some();

    let choose = move |file: Option<web_file::File>| {
        if let Some(file) = file {
            web_file::start(file, max_bytes, upload, preview, move |_| {
                go_to(PICTURE_SAVED)
            });
        }
    };
    let progress = move || match upload.get() {
        Upload::Sending(fraction) => Some(fraction),
        _ => None,
    };
    let status = move || match upload.get() {
        Upload::Idle => None,
        Upload::Sending(Some(f)) => Some(format!("Uploading… {:.0}%", f * 100.0)),
        Upload::Sending(None) => Some("Uploading…".to_owned()),
        Upload::Done => Some("Picture saved".to_owned()),
        Upload::Failed(message) => Some(message),
    };
    let failed = move || matches!(upload.get(), Upload::Failed(_));

    view! {
        <section class="card" aria-labelledby="picture-title">
            <h2 id="picture-title">"Picture"</h2>
            <div class="picture-row">
                {move || match preview.get() {
                    Some(url) => view! { <img class="avatar large" src=url alt="Preview of the new picture"/> }.into_any(),
                    None => view! { <Avatar user=user.clone()/> }.into_any(),
                }}
                <form
                    class="dropzone"
                    method="post"
                    enctype="multipart/form-data"
                    action=UploadPicture::PATH
                    on:dragover=move |ev: leptos::ev::DragEvent| ev.prevent_default()
                    on:drop=move |ev: leptos::ev::DragEvent| {
                        ev.prevent_default();
                        choose(web_file::dropped(&ev));
                    }
                    on:submit=move |ev: leptos::ev::SubmitEvent| {
                        // With JavaScript, choosing a file uploads it at once.
                        ev.prevent_default();
                    }
                >
                    <label for="picture-file" class="dropzone-label">
                        <strong>"Choose an image"</strong>
                        " or drop it here. PNG, JPEG, GIF or WebP, up to "
                        {format!("{} KB", max_bytes / 1024)}
                        "; it is cropped to a square."
                    </label>
                    <input
                        id="picture-file"
                        type="file"
                        name="file"
                        accept="image/png,image/jpeg,image/gif,image/webp"
                        on:change=move |ev| choose(web_file::chosen(&ev))
                    />
                    <noscript>
                        <button type="submit" class="button secondary">"Upload"</button>
                    </noscript>
                    <Show when=move || progress().is_some()>
                        <progress
                            max="1"
                            value=move || progress().flatten().map(|f| f.to_string())
                            aria-label="Upload progress"
                        ></progress>
                    </Show>
                    <p class="upload-status" class:error=failed role="status" data-testid="upload-status">
                        {status}
                    </p>
                </form>
            </div>
            <FormAlert error=remove_error/>
            {has_picture.then(|| view! {
                <PostForm action=remove class="form-actions" call=|| RemovePicture {}>
                    <button type="submit" class="button secondary">"Remove picture"</button>
                </PostForm>
            })}
        </section>
    }
}

/// Reading files from the page and sending them, in the browser only.
mod web_file {
    use super::*;

    #[cfg(feature = "hydrate")]
    pub type File = web_sys::File;
    #[cfg(not(feature = "hydrate"))]
    pub type File = ();

    #[cfg(feature = "hydrate")]
    pub fn chosen(ev: &leptos::ev::Event) -> Option<File> {
        use wasm_bindgen::JsCast;
        let input: web_sys::HtmlInputElement = ev.target()?.dyn_into().ok()?;
        input.files()?.get(0)
    }

    #[cfg(not(feature = "hydrate"))]
    pub fn chosen(_: &leptos::ev::Event) -> Option<File> {
        None
    }

    #[cfg(feature = "hydrate")]
    pub fn dropped(ev: &leptos::ev::DragEvent) -> Option<File> {
        ev.data_transfer()?.files()?.get(0)
    }

    #[cfg(not(feature = "hydrate"))]
    pub fn dropped(_: &leptos::ev::DragEvent) -> Option<File> {
        None
    }

    /// Checks the file, shows it, and sends it; `saved` gets the account once the server
    /// took it.
    #[cfg(feature = "hydrate")]
    pub fn start(
        file: File,
        max_bytes: usize,
        upload: RwSignal<Upload>,
        preview: RwSignal<Option<String>>,
        saved: impl Fn(User) + 'static,
    ) {
        use crate::AppError;
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;

        if file.size() > max_bytes as f64 {
            upload.set(Upload::Failed(format!(
                "This file is larger than {} KB; choose a smaller one",
                max_bytes / 1024
            )));
            return;
        }
        if let Some(old) = preview.get_untracked() {
            let _ = web_sys::Url::revoke_object_url(&old);
        }
        preview.set(web_sys::Url::create_object_url_with_blob(&file).ok());

        let sent = (|| -> Result<(), wasm_bindgen::JsValue> {
            let xhr = web_sys::XmlHttpRequest::new()?;
            xhr.open("POST", UploadPicture::PATH)?;
            xhr.set_request_header("Accept", "application/json")?;
            let form = web_sys::FormData::new()?;
            form.append_with_blob_and_filename("file", &file, &file.name())?;

            let on_progress = Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(
                move |ev: web_sys::ProgressEvent| {
                    let fraction = ev
                        .length_computable()
                        .then(|| ev.loaded() / ev.total().max(1.0));
                    upload.set(Upload::Sending(fraction));
                },
            );
            xhr.upload()?
                .set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
            on_progress.forget();

            let request = xhr.clone();
            let on_done = Closure::once(move || {
                let status = request.status().unwrap_or(0);
                let body = request.response_text().ok().flatten().unwrap_or_default();
                let account = serde_json::from_str::<User>(&body);
                if let (true, Ok(user)) = ((200..300).contains(&status), account) {
                    upload.set(Upload::Done);
                    saved(user);
                } else {
                    let message = serde_json::from_str::<AppError>(&body)
                        .map(|e| e.field("file").unwrap_or_else(|| e.to_string()))
                        .unwrap_or_else(|_| format!("The upload failed (HTTP {status})"));
                    upload.set(Upload::Failed(message));
                }
            });
            xhr.set_onloadend(Some(on_done.as_ref().unchecked_ref()));
            on_done.forget();

            upload.set(Upload::Sending(Some(0.0)));
            xhr.send_with_opt_form_data(Some(&form))
        })();
        if sent.is_err() {
            upload.set(Upload::Failed("The upload could not start".into()));
        }
    }

    #[cfg(not(feature = "hydrate"))]
    pub fn start(
        _: File,
        _: usize,
        _: RwSignal<Upload>,
        _: RwSignal<Option<String>>,
        _: impl Fn(User) + 'static,
    ) {
    }
}
