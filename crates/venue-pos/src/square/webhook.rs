//! Square webhook signatures: the `x-square-hmacsha256-signature` header holds
//! `base64(HMAC-SHA256(key = signature key, message = notification URL + raw body))`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header carrying the signature (HTTP header names are case-insensitive).
pub const SIGNATURE_HEADER: &str = "x-square-hmacsha256-signature";

type HmacSha256 = Hmac<Sha256>;

fn mac(signature_key: &str, notification_url: &str, raw_body: &[u8]) -> Option<HmacSha256> {
    let mut mac = HmacSha256::new_from_slice(signature_key.as_bytes()).ok()?;
    mac.update(notification_url.as_bytes());
    mac.update(raw_body);
    Some(mac)
}

/// The signature Square would send for `raw_body` delivered to `notification_url` (for
/// simulators and tests).
pub fn webhook_signature(signature_key: &str, notification_url: &str, raw_body: &[u8]) -> String {
    match mac(signature_key, notification_url, raw_body) {
        Some(mac) => STANDARD.encode(mac.finalize().into_bytes()),
        None => String::new(),
    }
}

/// True when `header_value` is the signature of `raw_body` delivered to `notification_url`.
///
/// `notification_url` must be the URL exactly as registered with Square, and `raw_body` the bytes
/// as received (before any JSON parsing). The comparison is constant-time. An empty signature key,
/// or a header that is not base64, never verifies.
pub fn verify_webhook_signature(
    signature_key: &str,
    notification_url: &str,
    raw_body: &[u8],
    header_value: &str,
) -> bool {
    if signature_key.is_empty() {
        return false;
    }
    let Ok(expected) = STANDARD.decode(header_value.trim()) else {
        return false;
    };
    match mac(signature_key, notification_url, raw_body) {
        Some(mac) => mac.verify_slice(&expected).is_ok(),
        None => false,
    }
}
