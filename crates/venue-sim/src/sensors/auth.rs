//! The devices' authentication: HTTP Digest (RFC 7616, MD5, `qop="auth"`) for AXIS, HTTP Basic
//! for Xovis. Nonces are stateless (issue time + a keyed hash), valid for ten minutes.

use base64::Engine;
use md5::{Digest as _, Md5};

/// How long a Digest nonce is accepted.
const NONCE_TTL_SECS: u64 = 600;

pub(crate) fn md5_hex(input: &str) -> String {
    let digest = Md5::digest(input.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why a request was refused: the challenge to send back.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No or wrong credentials.
    Refused,
    /// A good answer to an expired nonce: `stale=true`, the client retries with the new one.
    Stale,
}

/// Checks a Digest `Authorization` header against `user`/`pass` in `realm`, for a request
/// with this method and request-target (path and query as sent).
pub(crate) struct DigestCheck<'a> {
    pub realm: &'a str,
    pub user: &'a str,
    pub pass: &'a str,
    pub secret: &'a str,
    pub method: &'a str,
    pub target: &'a str,
    pub now_secs: u64,
}

impl DigestCheck<'_> {
    /// A fresh nonce: issue time in hex, a dot, and a keyed hash of both.
    pub(crate) fn nonce(&self) -> String {
        let t = format!("{:x}", self.now_secs);
        let mac = md5_hex(&format!("{t}:{}:{}", self.realm, self.secret));
        format!("{t}.{mac}")
    }

    /// The `WWW-Authenticate` value of a 401.
    pub(crate) fn challenge(&self, stale: bool) -> String {
        let mut c = format!(
            "Digest realm=\"{}\", nonce=\"{}\", algorithm=MD5, qop=\"auth\"",
            self.realm,
            self.nonce()
        );
        if stale {
            c.push_str(", stale=true");
        }
        c
    }

    fn nonce_fresh(&self, nonce: &str) -> Result<(), Refusal> {
        let (t, mac) = nonce.split_once('.').ok_or(Refusal::Refused)?;
        if md5_hex(&format!("{t}:{}:{}", self.realm, self.secret)) != mac {
            return Err(Refusal::Refused);
        }
        let issued = u64::from_str_radix(t, 16).map_err(|_| Refusal::Refused)?;
        if self.now_secs.saturating_sub(issued) > NONCE_TTL_SECS || issued > self.now_secs + 60 {
            return Err(Refusal::Stale);
        }
        Ok(())
    }

    pub(crate) fn verify(&self, header: Option<&str>) -> Result<(), Refusal> {
        let header = header.ok_or(Refusal::Refused)?.trim();
        let (scheme, rest) = header.split_once(' ').ok_or(Refusal::Refused)?;
        if !scheme.eq_ignore_ascii_case("digest") {
            return Err(Refusal::Refused);
        }
        let params = parse_params(rest);
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        let (Some(username), Some(realm), Some(nonce), Some(uri), Some(response)) = (
            get("username"),
            get("realm"),
            get("nonce"),
            get("uri"),
            get("response"),
        ) else {
            return Err(Refusal::Refused);
        };
        if let Some(alg) = get("algorithm") {
            if !alg.eq_ignore_ascii_case("MD5") {
                return Err(Refusal::Refused);
            }
        }
        let (Some(qop), Some(nc), Some(cnonce)) = (get("qop"), get("nc"), get("cnonce")) else {
            return Err(Refusal::Refused);
        };
        if qop != "auth" || username != self.user || realm != self.realm || !self.uri_matches(uri) {
            return Err(Refusal::Refused);
        }
        let ha1 = md5_hex(&format!("{}:{}:{}", self.user, self.realm, self.pass));
        let ha2 = md5_hex(&format!("{}:{uri}", self.method));
        let expected = md5_hex(&format!("{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}"));
        if !constant_time_eq(
            expected.as_bytes(),
            response.to_ascii_lowercase().as_bytes(),
        ) {
            return Err(Refusal::Refused);
        }
        // Only a correct answer learns that its nonce is stale.
        self.nonce_fresh(nonce)
    }

    /// The `uri` parameter names the request-target as sent (or its absolute form).
    fn uri_matches(&self, uri: &str) -> bool {
        if uri == self.target {
            return true;
        }
        uri.split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
            .is_some_and(|path| path == self.target)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0_u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `k=v, k="quoted, \"v\""` pairs of an auth header.
pub(crate) fn parse_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ',' {
                break;
            }
            key.push(c);
            chars.next();
        }
        if key.trim().is_empty() {
            if chars.next().is_none() {
                break;
            }
            continue;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'=') {
            chars.next();
            while chars.peek().is_some_and(|c| *c == ' ') {
                chars.next();
            }
            if chars.peek() == Some(&'"') {
                chars.next();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(e) = chars.next() {
                                value.push(e);
                            }
                        }
                        '"' => break,
                        c => value.push(c),
                    }
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c == ',' {
                        break;
                    }
                    value.push(c);
                    chars.next();
                }
                value = value.trim().to_string();
            }
        }
        out.push((key.trim().to_string(), value));
    }
    out
}

/// Checks `Authorization: Basic base64(user:pass)`.
pub(crate) fn basic_ok(header: Option<&str>, user: &str, pass: &str) -> bool {
    let Some((scheme, b64)) = header.map(str::trim).and_then(|h| h.split_once(' ')) else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return false;
    }
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(b64.trim()) else {
        return false;
    };
    let expected = format!("{user}:{pass}");
    constant_time_eq(&raw, expected.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(now_secs: u64) -> DigestCheck<'static> {
        DigestCheck {
            realm: "AXIS_00408C000001",
            user: "root",
            pass: "pass",
            secret: "k",
            method: "GET",
            target: "/dev/a/local/tvpc/.api?live-sum.json",
            now_secs,
        }
    }

    fn answer(c: &DigestCheck<'_>, nonce: &str, pass: &str) -> String {
        let ha1 = md5_hex(&format!("root:{}:{pass}", c.realm));
        let ha2 = md5_hex(&format!("GET:{}", c.target));
        let r = md5_hex(&format!("{ha1}:{nonce}:00000001:abc:auth:{ha2}"));
        format!(
            "Digest username=\"root\", realm=\"{}\", nonce=\"{nonce}\", uri=\"{}\", \
             algorithm=MD5, qop=auth, nc=00000001, cnonce=\"abc\", response=\"{r}\"",
            c.realm, c.target
        )
    }

    #[test]
    fn digest_accepts_the_right_answer_only() {
        let c = check(1_000_000);
        let nonce = c.nonce();
        assert_eq!(c.verify(Some(&answer(&c, &nonce, "pass"))), Ok(()));
        assert_eq!(
            c.verify(Some(&answer(&c, &nonce, "nope"))),
            Err(Refusal::Refused)
        );
        assert_eq!(c.verify(None), Err(Refusal::Refused));
        assert_eq!(
            c.verify(Some(&answer(&c, "12.bad", "pass"))),
            Err(Refusal::Refused)
        );
        let later = check(1_000_000 + NONCE_TTL_SECS + 1);
        assert_eq!(
            later.verify(Some(&answer(&later, &nonce, "pass"))),
            Err(Refusal::Stale)
        );
    }

    #[test]
    fn params_and_basic() {
        let p = parse_params(r#"a="x, \"y\"", b=2 ,c="""#);
        assert_eq!(
            p,
            vec![
                ("a".into(), "x, \"y\"".into()),
                ("b".into(), "2".into()),
                ("c".into(), String::new())
            ]
        );
        let good = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("root:pw")
        );
        assert!(basic_ok(Some(&good), "root", "pw"));
        assert!(!basic_ok(Some(&good), "root", "other"));
        assert!(!basic_ok(Some("Basic !!!"), "root", "pw"));
    }
}
