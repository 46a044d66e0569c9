//! Reading an uploaded picture from a multipart body: the adapter between the upload
//! (server function or REST route) and the pictures service, which takes bytes.

use backend::services::pictures::FIELD;
use domain::AppError;

/// Reads the `file` field of a multipart upload, refusing (413) as soon as it grows past
/// `max_bytes`, before it is buffered whole.
pub async fn read_upload(
    mut multipart: multer::Multipart<'_>,
    max_bytes: usize,
) -> Result<Vec<u8>, AppError> {
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return Err(AppError::validation(FIELD, "Choose an image to upload")),
            Err(error) => return Err(multipart_error(error)),
        };
        if field.name() != Some(FIELD) {
            continue;
        }
        let mut field = field;
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if bytes.len() + chunk.len() > max_bytes {
                return Err(AppError::PayloadTooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        if bytes.is_empty() {
            return Err(AppError::validation(FIELD, "The file is empty"));
        }
        return Ok(bytes);
    }
}

fn multipart_error(error: multer::Error) -> AppError {
    match error {
        multer::Error::FieldSizeExceeded { .. } | multer::Error::StreamSizeExceeded { .. } => {
            AppError::PayloadTooLarge
        }
        // The body limit cuts the stream of an upload that is too large.
        multer::Error::StreamReadFailed(_) => AppError::PayloadTooLarge,
        other => AppError::bad_request(format!("The upload could not be read: {other}")),
    }
}
