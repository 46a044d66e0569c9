//! Profile pictures: an upload is read with a size limit while it streams, recognised by
//! its content, decoded with limits on dimensions and memory, cropped to a square, scaled
//! and re-encoded (which drops EXIF and every other piece of metadata). Only the result
//! is stored and served; the uploaded bytes are never kept.

use super::users;
use crate::store::PictureRef;
use crate::{internal_error, AppState};
use domain::AppError;
use domain::{UploadRules, User, Username};
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};
use std::io::Cursor;
use time::OffsetDateTime;

/// The multipart field that carries the picture.
pub const FIELD: &str = "file";

/// A picture ready to serve.
#[derive(Clone, Debug)]
pub struct Picture {
    /// The encoded image.
    pub bytes: Vec<u8>,
    /// Its type: `image/png` or `image/jpeg`.
    pub content_type: &'static str,
    /// A short digest of the bytes: it changes with the picture, so URLs and caches can
    /// tell versions apart.
    pub etag: String,
}

/// Which image the bytes are, by their first bytes (never by name or declared type).
pub fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
    match image::guess_format(bytes) {
        Ok(
            format @ (ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::Gif | ImageFormat::WebP),
        ) => Some(format),
        _ => None,
    }
}

/// Decodes with limits, crops to the centred square, scales to `size` and re-encodes:
/// PNG when the picture has transparency, else JPEG.
pub fn process(bytes: &[u8], rules: &UploadRules) -> Result<Picture, AppError> {
    let format = sniff(bytes).ok_or_else(|| AppError::UnsupportedMediaType {
        message: "Upload a PNG, JPEG, GIF or WebP image".into(),
    })?;
    let too_large = || {
        AppError::validation(
            FIELD,
            format!(
                "The image is too large: at most {0} × {0} pixels",
                rules.picture_max_dimension
            ),
        )
    };
    let unreadable =
        || AppError::validation(FIELD, "The image could not be read; it may be damaged");

    let mut limits = Limits::default();
    limits.max_image_width = Some(rules.picture_max_dimension);
    limits.max_image_height = Some(rules.picture_max_dimension);
    // Room for the largest allowed image with four 16-bit channels, and no more.
    limits.max_alloc = Some(u64::from(rules.picture_max_dimension).pow(2) * 8);

    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits);
    let classify = |error: image::ImageError| match error {
        image::ImageError::Limits(_) => too_large(),
        _ => unreadable(),
    };
    let mut decoder = reader.into_decoder().map_err(classify)?;
    let orientation = decoder.orientation().map_err(classify)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(classify)?;
    // Phones record rotation in EXIF, which re-encoding drops: apply it to the pixels.
    image.apply_orientation(orientation);

    let side = image.width().min(image.height());
    let square = image.crop_imm(
        (image.width() - side) / 2,
        (image.height() - side) / 2,
        side,
        side,
    );
    let scaled = square.resize_exact(
        rules.picture_size,
        rules.picture_size,
        image::imageops::FilterType::Lanczos3,
    );

    let mut out = Cursor::new(Vec::new());
    let content_type = if scaled.color().has_alpha() {
        scaled
            .to_rgba8()
            .write_to(&mut out, ImageFormat::Png)
            .map_err(internal_error)?;
        "image/png"
    } else {
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 88);
        scaled
            .to_rgb8()
            .write_with_encoder(encoder)
            .map_err(internal_error)?;
        "image/jpeg"
    };
    let bytes = out.into_inner();
    let etag = hex::encode(&Sha256::digest(&bytes)[..8]);
    Ok(Picture {
        bytes,
        content_type,
        etag,
    })
}

fn extension(content_type: &str) -> &'static str {
    match content_type {
        "image/png" => "png",
        _ => "jpg",
    }
}

fn content_type_of(key: &str) -> &'static str {
    if key.ends_with(".png") {
        "image/png"
    } else {
        "image/jpeg"
    }
}

/// Processes an upload (on the CPU pool) and makes it the account's picture; the
/// picture it replaces is removed from storage.
pub async fn replace(state: &AppState, user: &User, upload: Vec<u8>) -> Result<User, AppError> {
    let rules = state.rules().upload.clone();
    let picture = state.cpu.run(move || process(&upload, &rules)).await??;
    let reference = PictureRef {
        key: format!(
            "pictures/{}/{}.{}",
            user.id,
            picture.etag,
            extension(picture.content_type)
        ),
        etag: picture.etag.clone(),
    };
    state
        .blobs
        .put(&reference.key, picture.bytes)
        .await
        .map_err(internal_error)?;
    let old = state
        .store
        .set_picture(&user.id, Some(&reference), OffsetDateTime::now_utc())
        .await?;
    if let Some(old) = old.filter(|old| old.key != reference.key) {
        delete_blob(state, &old.key).await;
    }
    current(state, &user.id).await
}

/// Removes the account's picture, if it has one.
pub async fn remove(state: &AppState, user: &User) -> Result<User, AppError> {
    let old = state
        .store
        .set_picture(&user.id, None, OffsetDateTime::now_utc())
        .await?;
    if let Some(old) = old {
        delete_blob(state, &old.key).await;
    }
    current(state, &user.id).await
}

/// The processed picture of the account named `username` (any case), if it has one.
pub async fn of_user(state: &AppState, username: &str) -> Result<Option<Picture>, AppError> {
    let Some(record) = state
        .store
        .user_by_username(&Username::key_of(username))
        .await?
    else {
        return Ok(None);
    };
    let Some(reference) = record.picture.filter(|_| !record.disabled) else {
        return Ok(None);
    };
    let bytes = state
        .blobs
        .get(&reference.key)
        .await
        .map_err(internal_error)?;
    Ok(bytes.map(|bytes| Picture {
        bytes,
        content_type: content_type_of(&reference.key),
        etag: reference.etag,
    }))
}

/// A stored file that could not be removed is logged, not fatal: the account change
/// already happened.
pub async fn delete_blob(state: &AppState, key: &str) {
    if let Err(error) = state.blobs.delete(key).await {
        tracing::warn!(%error, key, "could not remove a stored picture");
    }
}

async fn current(state: &AppState, user_id: &str) -> Result<User, AppError> {
    users::enabled_by_id(state, user_id)
        .await?
        .ok_or(AppError::Unauthenticated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageBuffer, Rgb, Rgba};

    fn encode(image: DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    fn photo(width: u32, height: u32) -> DynamicImage {
        DynamicImage::ImageRgb8(ImageBuffer::from_fn(width, height, |x, y| {
            Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        }))
    }

    #[test]
    fn crops_scales_and_reencodes() {
        let rules = UploadRules::default();
        for format in [
            ImageFormat::Png,
            ImageFormat::Jpeg,
            ImageFormat::Gif,
            ImageFormat::WebP,
        ] {
            let picture = process(&encode(photo(640, 480), format), &rules).unwrap();
            let decoded = image::load_from_memory(&picture.bytes).unwrap();
            assert_eq!(
                (decoded.width(), decoded.height()),
                (256, 256),
                "{format:?}"
            );
            assert_eq!(picture.etag.len(), 16);
        }
    }

    #[test]
    fn transparency_is_kept_as_png() {
        let image = DynamicImage::ImageRgba8(ImageBuffer::from_pixel(300, 300, Rgba([0, 0, 0, 0])));
        let picture = process(&encode(image, ImageFormat::Png), &UploadRules::default()).unwrap();
        assert_eq!(picture.content_type, "image/png");
        let opaque = process(
            &encode(photo(300, 300), ImageFormat::Png),
            &UploadRules::default(),
        )
        .unwrap();
        assert_eq!(opaque.content_type, "image/jpeg");
    }

    #[test]
    fn refuses_what_is_not_an_image() {
        for bytes in [
            &b"<svg xmlns='http://www.w3.org/2000/svg'/>"[..],
            b"<html></html>",
            b"GIF",
            b"%PDF-1.7",
        ] {
            let error = process(bytes, &UploadRules::default()).unwrap_err();
            assert_eq!(error.status(), 415);
        }
    }

    #[test]
    fn refuses_damaged_and_oversized_images() {
        let png = encode(photo(640, 480), ImageFormat::Png);
        let error = process(&png[..png.len() / 2], &UploadRules::default()).unwrap_err();
        assert_eq!(
            error.field("file").as_deref(),
            Some("The image could not be read; it may be damaged")
        );
        let rules = UploadRules {
            picture_max_dimension: 100,
            ..UploadRules::default()
        };
        let error = process(&png, &rules).unwrap_err();
        assert_eq!(
            error.field("file").as_deref(),
            Some("The image is too large: at most 100 × 100 pixels")
        );
    }
}
