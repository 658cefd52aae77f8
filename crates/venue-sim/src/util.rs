//! Small helpers: deterministic randomness, ids, time formats, money arithmetic, hex.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// One round of SplitMix64: a cheap, well-mixed hash of a `u64`.
pub(crate) fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Mixes several numbers into one seed (order matters).
pub(crate) fn mix(parts: &[u64]) -> u64 {
    parts
        .iter()
        .fold(0x005E_ED0F_5EED_u64, |acc, p| splitmix(acc ^ splitmix(*p)))
}

/// FNV-1a over the bytes of a string.
pub(crate) fn hash_str(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

pub(crate) fn rng(parts: &[u64]) -> fastrand::Rng {
    fastrand::Rng::with_seed(mix(parts))
}

const BASE62: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";

/// A Square-style id: `n` characters of `[A-Za-z0-9]`.
pub(crate) fn base62(rng: &mut fastrand::Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(BASE62[rng.usize(..BASE62.len())]))
        .collect()
}

/// A Square-style location or merchant id: upper-case letters and digits.
pub(crate) fn upper_id(rng: &mut fastrand::Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(UPPER[rng.usize(..UPPER.len())]))
        .collect()
}

/// A Toast-style GUID (random UUID layout, drawn from `rng`).
pub(crate) fn guid(rng: &mut fastrand::Rng) -> String {
    let bytes = rng.u128(..).to_le_bytes();
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

pub(crate) fn digits(rng: &mut fastrand::Rng, n: usize) -> String {
    (0..n).map(|_| char::from(b'0' + rng.u8(..10))).collect()
}

/// Square's timestamps: RFC 3339 in UTC with milliseconds, `2021-10-13T19:34:33.680Z`.
pub(crate) fn square_time(t: DateTime<Utc>) -> String {
    format!("{}Z", iso_millis(t))
}

/// `2019-02-24T13:48:44.206` (formatted by hand: chrono's formatter is slow in debug builds,
/// and a page of Toast orders holds thousands of timestamps).
fn iso_millis(t: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.timestamp_subsec_millis().min(999)
    )
}

/// Toast's timestamps: `2019-02-24T13:48:44.206+0000`.
pub(crate) fn toast_time(t: DateTime<Utc>) -> String {
    format!("{}+0000", iso_millis(t))
}

/// An HTTP date (IMF-fixdate), as used by `Retry-After`.
pub(crate) fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Parses an RFC 3339 timestamp (`Z` or an offset).
pub(crate) fn parse_rfc3339(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Parses Toast's ISO-8601 form (`2019-02-24T13:48:44.206+0000`), also accepting RFC 3339.
pub(crate) fn parse_toast_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z")
        .ok()
        .map(|t| t.with_timezone(&Utc))
        .or_else(|| parse_rfc3339(s))
}

/// A local wall-clock time in `tz` as UTC; times in a DST gap move forward to the gap's end.
pub(crate) fn local_to_utc(tz: Tz, naive: NaiveDateTime) -> DateTime<Utc> {
    let mut probe = naive;
    for _ in 0..4 {
        if let Some(t) = tz.from_local_datetime(&probe).earliest() {
            return t.with_timezone(&Utc);
        }
        probe += chrono::TimeDelta::minutes(30);
    }
    Utc.from_utc_datetime(&naive)
}

/// The number of digits after the decimal point of an ISO 4217 currency.
pub(crate) fn currency_exponent(code: &str) -> u32 {
    match code {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// `amount * bp / 10000`, rounded half up (amounts are never negative here).
pub(crate) fn apply_bp(amount: i64, bp: i64) -> i64 {
    (amount * bp + 5_000).div_euclid(10_000)
}

/// Splits `total` over `weights` proportionally; the rounding remainder goes to the last share.
pub(crate) fn allocate(total: i64, weights: &[i64]) -> Vec<i64> {
    let sum: i64 = weights.iter().sum();
    if weights.is_empty() {
        return Vec::new();
    }
    if sum <= 0 {
        let mut out = vec![0; weights.len()];
        if let Some(last) = out.last_mut() {
            *last = total;
        }
        return out;
    }
    let mut out: Vec<i64> = weights.iter().map(|w| total * w / sum).collect();
    let given: i64 = out.iter().sum();
    if let Some(last) = out.last_mut() {
        *last += total - given;
    }
    out
}

pub(crate) fn hex_encode(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn hex_decode(s: &str) -> Option<String> {
    if s.len() & 1 == 1 || !s.is_ascii() {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocation_sums_to_total() {
        assert_eq!(allocate(100, &[1, 1, 1]), vec![33, 33, 34]);
        assert_eq!(allocate(7, &[0, 0]), vec![0, 7]);
        assert!(allocate(5, &[]).is_empty());
    }

    #[test]
    fn hex_round_trip() {
        let s = "v1|abc|123";
        assert_eq!(hex_decode(&hex_encode(s)).as_deref(), Some(s));
        assert_eq!(hex_decode("zz"), None);
        assert_eq!(hex_decode("abc"), None);
    }

    #[test]
    fn time_formats() {
        let t = Utc.with_ymd_and_hms(2019, 2, 24, 13, 48, 44).unwrap()
            + chrono::TimeDelta::milliseconds(206);
        assert_eq!(toast_time(t), "2019-02-24T13:48:44.206+0000");
        assert_eq!(square_time(t), "2019-02-24T13:48:44.206Z");
        assert_eq!(parse_toast_time("2019-02-24T13:48:44.206+0000"), Some(t));
        assert_eq!(parse_toast_time("2019-02-24T13:48:44.206Z"), Some(t));
        assert_eq!(parse_toast_time("2019-02-24T13:48:44.206 0000"), None);
        assert_eq!(http_date(t), "Sun, 24 Feb 2019 13:48:44 GMT");
    }
}
