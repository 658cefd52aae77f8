//! Device tokens and enrolment codes: made from the OS's randomness, stored only as hashes.
//!
//! Both carry enough entropy (256 bits for a token, 60 for a short-lived, single-use,
//! rate-limited code) that a fast hash is the right one: a slow password hash would only make
//! every request slower without making a guess any likelier.

use base64::Engine;
use sha2::{Digest, Sha256};

/// Marks a hub device token, so a secret scanner (or a person) can tell what a leaked one is.
const TOKEN_PREFIX: &str = "vhd1_";
/// Crockford's base32: no I, L, O or U, so a code read aloud or copied by hand survives.
const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CODE_CHARS: usize = 12;

#[derive(Debug, thiserror::Error)]
#[error("the operating system gave no randomness: {0}")]
pub struct NoRandomness(String);

fn random_bytes<const N: usize>() -> Result<[u8; N], NoRandomness> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| NoRandomness(e.to_string()))?;
    Ok(bytes)
}

/// A new device token, shown once to the console that enrolled.
pub fn new_token() -> Result<String, NoRandomness> {
    let bytes = random_bytes::<32>()?;
    Ok(format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

/// A new enrolment code, `XXXX-XXXX-XXXX`.
pub fn new_code() -> Result<String, NoRandomness> {
    let bytes = random_bytes::<CODE_CHARS>()?;
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| char::from(CODE_ALPHABET[usize::from(b & 31)]))
        .collect();
    Ok(chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-"))
}

/// A code as typed (any case, spaces or dashes, O for 0, I or L for 1) in its one spelling, or
/// None when it cannot be a code at all.
pub fn normalize_code(typed: &str) -> Option<String> {
    let mut out = String::with_capacity(CODE_CHARS);
    for c in typed.chars() {
        let c = match c.to_ascii_uppercase() {
            '-' | ' ' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        if !c.is_ascii() || !CODE_ALPHABET.contains(&(c as u8)) {
            return None;
        }
        out.push(c);
    }
    (out.len() == CODE_CHARS).then_some(out)
}

/// What is stored for a token or a code: its SHA-256, hex.
pub fn hash_secret(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The hash stored for an enrolment code, however it was typed.
pub fn hash_code(typed: &str) -> Option<String> {
    normalize_code(typed).map(|c| hash_secret(&c))
}

/// Whether a bearer credential looks like one of our tokens (cheap check before a lookup).
pub fn looks_like_token(token: &str) -> bool {
    token.len() == TOKEN_PREFIX.len() + 43
        && token.starts_with(TOKEN_PREFIX)
        && token[TOKEN_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tokens_are_unique_and_recognisable() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_ne!(a, b);
        assert!(looks_like_token(&a), "{a}");
        assert!(!looks_like_token("Bearer x"));
        assert_ne!(hash_secret(&a), hash_secret(&b));
    }

    #[test]
    fn a_code_typed_loosely_is_the_same_code() {
        let code = new_code().unwrap();
        assert_eq!(code.len(), 14, "{code}");
        let loose = code.to_lowercase().replace('-', " ").replace('0', "o");
        assert_eq!(hash_code(&loose), hash_code(&code));
        assert_eq!(normalize_code("abcd-efgh-jk"), None, "too short");
        assert_eq!(
            normalize_code("ABCD-EFGH-JKMU"),
            None,
            "U is not in the alphabet"
        );
    }

    proptest! {
        #[test]
        fn any_text_is_either_a_code_or_refused_without_panicking(s in "\\PC{0,40}") {
            if let Some(c) = normalize_code(&s) {
                prop_assert_eq!(c.len(), CODE_CHARS);
                prop_assert_eq!(normalize_code(&c), Some(c.clone()));
            }
        }
    }
}
