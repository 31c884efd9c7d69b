//! The signing secret: from the settings, or generated once and kept in the data dir,
//! readable by its owner only. There is no built-in default.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The file in the data dir that keeps a generated secret.
pub const SECRET_FILE: &str = "server.secret";

/// Bytes of a generated secret.
const SECRET_BYTES: usize = 48;

/// The signing secret could not be read or made.
#[derive(Debug, thiserror::Error)]
#[error("signing secret {path}: {message}")]
pub struct SecretError {
    pub path: PathBuf,
    pub message: String,
}

/// The configured secret, else the one kept in `data_dir` (made on first start).
pub fn load_or_create(configured: Option<&str>, data_dir: &Path) -> Result<Vec<u8>, SecretError> {
    if let Some(s) = configured {
        return Ok(s.as_bytes().to_vec());
    }
    let path = data_dir.join(SECRET_FILE);
    let err = |message: String| SecretError {
        path: path.clone(),
        message,
    };
    match std::fs::read(&path) {
        Ok(bytes) if bytes.len() >= 32 => return Ok(bytes),
        Ok(bytes) => {
            return Err(err(format!(
                "holds {} bytes, fewer than 32; delete it to have a new one made (every \
                 login and API key ends with it)",
                bytes.len()
            )));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(err(e.to_string())),
    }
    std::fs::create_dir_all(data_dir).map_err(|e| err(e.to_string()))?;
    let mut secret = vec![0u8; SECRET_BYTES];
    rand::fill(&mut secret[..]);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&path).map_err(|e| err(e.to_string()))?;
    file.write_all(&secret).map_err(|e| err(e.to_string()))?;
    file.sync_all().map_err(|e| err(e.to_string()))?;
    tracing::info!(path = %path.display(), "generated the signing secret");
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_an_owner_only_secret_once_and_keeps_it() {
        let dir = tempfile::tempdir().expect("dir");
        let first = load_or_create(None, dir.path()).expect("made");
        let again = load_or_create(None, dir.path()).expect("read");
        assert_eq!(first, again);
        assert_eq!(first.len(), SECRET_BYTES);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(SECRET_FILE))
                .expect("file")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_configured_secret_wins_and_writes_nothing() {
        let dir = tempfile::tempdir().expect("dir");
        let s = load_or_create(Some(&"k".repeat(40)), dir.path()).expect("secret");
        assert_eq!(s, "k".repeat(40).into_bytes());
        assert!(!dir.path().join(SECRET_FILE).exists());
    }
}
