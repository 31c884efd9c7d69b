//! Session tokens, API keys and CSRF tokens: random, shown once, stored as an
//! HMAC-SHA256 under the signing secret (a copy of the database alone opens nothing).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The start of every session token.
pub const SESSION_PREFIX: &str = "tls_";
/// The start of every API key.
pub const API_KEY_PREFIX: &str = "tlk_";
/// Characters of an API key shown in listings.
pub const SHOWN_KEY_CHARS: usize = 12;

/// Signs and hashes tokens with the server's secret.
#[derive(Clone)]
pub struct Signer {
    secret: std::sync::Arc<[u8]>,
}

impl Signer {
    pub fn new(secret: Vec<u8>) -> Self {
        Signer {
            secret: secret.into(),
        }
    }

    fn mac(&self, domain: &str, text: &str) -> String {
        // HMAC takes a key of any length.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.secret)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(domain.as_bytes());
        mac.update(b"\0");
        mac.update(text.as_bytes());
        let bytes = mac.finalize().into_bytes();
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// What the store keeps of a session token or an API key.
    pub fn token_hash(&self, token: &str) -> String {
        self.mac("token", token)
    }

    /// The CSRF token that goes with a session token.
    pub fn csrf_for(&self, session_token: &str) -> String {
        self.mac("csrf", session_token)
    }
}

/// A new random token with `prefix` (256 bits, URL-safe).
pub fn new_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_depend_on_the_secret_and_the_purpose() {
        let a = Signer::new(vec![1; 32]);
        let b = Signer::new(vec![2; 32]);
        let t = new_token(SESSION_PREFIX);
        assert_eq!(a.token_hash(&t), a.token_hash(&t));
        assert_ne!(a.token_hash(&t), b.token_hash(&t));
        assert_ne!(a.token_hash(&t), a.csrf_for(&t));
        assert_eq!(a.token_hash(&t).len(), 64);
    }

    #[test]
    fn tokens_are_fresh_and_prefixed() {
        let x = new_token(API_KEY_PREFIX);
        let y = new_token(API_KEY_PREFIX);
        assert_ne!(x, y);
        assert!(x.starts_with("tlk_") && x.len() == 4 + 43, "{x}");
        assert!(same_secret(&x, &x.clone()));
        assert!(!same_secret(&x, &y));
    }
}
