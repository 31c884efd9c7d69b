//! Passwords: argon2id hashes (PHC strings), computed off the async threads.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted (hashing cost grows with it).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Why a password is refused; the message names the rule.
pub fn check_new(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!(
            "a password needs at least {MIN_PASSWORD_CHARS} characters"
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(format!(
            "a password may have at most {MAX_PASSWORD_BYTES} bytes"
        ));
    }
    Ok(())
}

/// The argon2id hash of `password`.
pub async fn hash(password: String) -> Result<String, String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())?
}

/// Whether `password` matches the stored `hash` (false for a malformed hash).
pub async fn verify(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn verifies_the_right_password_only() {
        let h = hash("correct horse".into()).await.expect("hash");
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify("correct horse".into(), h.clone()).await);
        assert!(!verify("wrong horse!".into(), h).await);
        assert!(!verify("x".into(), "not a hash".into()).await);
    }

    #[test]
    fn rejects_short_and_huge_passwords() {
        assert!(check_new("short").is_err());
        assert!(check_new(&"x".repeat(2000)).is_err());
        assert!(check_new("long enough").is_ok());
    }
}
