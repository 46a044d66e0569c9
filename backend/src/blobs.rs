//! Where uploaded files are kept, behind a small interface: files under the data
//! directory for the single-node install; an S3-compatible store can implement the same
//! three calls later.

use async_trait::async_trait;
use std::io;
use std::path::PathBuf;

#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Stores `bytes` under `key`, replacing what was there, all or nothing.
    async fn put(&self, key: &str, bytes: Vec<u8>) -> io::Result<()>;
    async fn get(&self, key: &str) -> io::Result<Option<Vec<u8>>>;
    /// Removes `key`; removing what is not there is not an error.
    async fn delete(&self, key: &str) -> io::Result<()>;
}

/// Blobs as files below a root directory; keys are relative paths of plain segments.
pub struct FileBlobStore {
    root: PathBuf,
}

impl FileBlobStore {
    pub fn new(root: PathBuf) -> FileBlobStore {
        FileBlobStore { root }
    }

    /// The file for `key`. Keys are made by Latchkey, but a key that could leave the root
    /// (`..`, an absolute path, odd characters) is refused all the same.
    fn path(&self, key: &str) -> io::Result<PathBuf> {
        let valid_segment = |s: &str| {
            !s.is_empty()
                && s != "."
                && s != ".."
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        };
        if key.split('/').all(valid_segment) {
            Ok(self.root.join(key))
        } else {
            Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("invalid blob key {key:?}"),
            ))
        }
    }
}

#[async_trait]
impl BlobStore for FileBlobStore {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> io::Result<()> {
        let path = self.path(key)?;
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        // Write aside, then rename: a reader never sees half a file.
        let partial = path.with_extension(format!("partial-{}", uuid::Uuid::new_v4().simple()));
        tokio::fs::write(&partial, bytes).await?;
        tokio::fs::rename(&partial, &path).await
    }

    async fn get(&self, key: &str) -> io::Result<Option<Vec<u8>>> {
        match tokio::fs::read(self.path(key)?).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn delete(&self, key: &str) -> io::Result<()> {
        let path = self.path(key)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        // Tidy the now empty directory (best effort: another blob may live there).
        if let Some(parent) = path.parent() {
            let _ = tokio::fs::remove_dir(parent).await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn put_get_delete() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileBlobStore::new(dir.path().to_owned());
        store
            .put("pictures/u1/abc.png", b"one".to_vec())
            .await
            .unwrap();
        store
            .put("pictures/u1/abc.png", b"two".to_vec())
            .await
            .unwrap();
        assert_eq!(
            store.get("pictures/u1/abc.png").await.unwrap().as_deref(),
            Some(&b"two"[..])
        );
        store.delete("pictures/u1/abc.png").await.unwrap();
        store.delete("pictures/u1/abc.png").await.unwrap();
        assert_eq!(store.get("pictures/u1/abc.png").await.unwrap(), None);
        assert!(
            !dir.path().join("pictures/u1").exists(),
            "empty folders are tidied"
        );
    }

    #[tokio::test]
    async fn keys_cannot_leave_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileBlobStore::new(dir.path().join("blobs"));
        for key in ["../secret.key", "/etc/passwd", "a//b", "a/./b", "a/b c", ""] {
            assert!(store.put(key, b"x".to_vec()).await.is_err(), "{key:?}");
        }
    }
}
