//! RFC 8288 (formerly 5988) `Link` headers, as Toast's `ordersBulk` uses for pagination:
//! `<https://host/orders/v2/ordersBulk?...&page=2>; rel="next", <...&page=1>; rel="prev"`.

/// The URL of the `rel="next"` link in a `Link` header value, or `None` (the last page).
///
/// Handles several comma-separated links, quoted and unquoted `rel` values, relation lists
/// (`rel="next last"`), case, extra whitespace and other parameters (quoted strings may hold
/// commas and semicolons). Only a link's first `rel` parameter counts, as RFC 8288 says.
/// Malformed parts are skipped; any input is safe. The URL is returned as written (it may be
/// relative; resolve it against the request URL).
pub fn next_page_from_link_header(link: &str) -> Option<String> {
    links(link)
        .into_iter()
        .find(|l| {
            l.rel.as_deref().is_some_and(|rel| {
                rel.split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("next"))
            })
        })
        .map(|l| l.url)
}

struct Link {
    url: String,
    rel: Option<String>,
}

/// All the well-formed links of a header value, in order.
///
/// Works on bytes and only ever splits at ASCII delimiters, which never occur inside a
/// multi-byte UTF-8 character, so every slice is valid UTF-8.
fn links(header: &str) -> Vec<Link> {
    let b = header.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        // Between links: whitespace and commas.
        while i < b.len() && (b[i] == b',' || b[i].is_ascii_whitespace()) {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        if b[i] != b'<' {
            i = skip_past_link(b, i);
            continue;
        }
        let start = i + 1;
        let Some(len) = b[start..].iter().position(|&c| c == b'>') else {
            break;
        };
        let url = header[start..start + len].trim().to_string();
        i = start + len + 1;
        let mut rel = None;
        // Parameters: `; name[=value]`, until a comma ends the link.
        loop {
            i = skip_ws(b, i);
            if i >= b.len() || b[i] == b',' {
                break;
            }
            if b[i] != b';' {
                i = skip_past_link(b, i);
                break;
            }
            i = skip_ws(b, i + 1);
            let name_start = i;
            while i < b.len() && !matches!(b[i], b'=' | b';' | b',') && !b[i].is_ascii_whitespace()
            {
                i += 1;
            }
            let name = &header[name_start..i];
            i = skip_ws(b, i);
            let mut value = None;
            if i < b.len() && b[i] == b'=' {
                i = skip_ws(b, i + 1);
                let (v, next) = param_value(header, i);
                value = Some(v);
                i = next;
            }
            if rel.is_none() && name.eq_ignore_ascii_case("rel") {
                rel = Some(value.unwrap_or_default());
            }
        }
        if !url.is_empty() {
            out.push(Link { url, rel });
        }
    }
    out
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// A parameter value starting at `i`: a quoted string (with `\` escapes) or a token. Returns the
/// value and the index after it.
fn param_value(header: &str, mut i: usize) -> (String, usize) {
    let b = header.as_bytes();
    if i < b.len() && b[i] == b'"' {
        i += 1;
        let mut bytes = Vec::new();
        while i < b.len() {
            match b[i] {
                b'\\' if i + 1 < b.len() => {
                    bytes.push(b[i + 1]);
                    i += 2;
                }
                b'"' => {
                    i += 1;
                    break;
                }
                c => {
                    bytes.push(c);
                    i += 1;
                }
            }
        }
        (String::from_utf8_lossy(&bytes).into_owned(), i)
    } else {
        let start = i;
        while i < b.len() && !matches!(b[i], b';' | b',') && !b[i].is_ascii_whitespace() {
            i += 1;
        }
        (header[start..i].to_string(), i)
    }
}

/// Skips a malformed link: to just past the next comma outside a quoted string.
fn skip_past_link(b: &[u8], mut i: usize) -> usize {
    let mut quoted = false;
    while i < b.len() {
        match b[i] {
            b'\\' if quoted => i += 1,
            b'"' => quoted = !quoted,
            b',' if !quoted => return i + 1,
            _ => {}
        }
        i += 1;
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BASE: &str =
        "https://ws-api.toasttab.com/orders/v2/ordersBulk?businessDate=20200302&pageSize=100";

    #[test]
    fn finds_next_among_several_links() {
        let header = format!(
            "<{BASE}&page=1>; rel=\"prev\", <{BASE}&page=3>; rel=\"next\", <{BASE}&page=9>; rel=\"last\""
        );
        assert_eq!(
            next_page_from_link_header(&header),
            Some(format!("{BASE}&page=3"))
        );
    }

    #[test]
    fn accepts_unquoted_case_whitespace_and_relation_lists() {
        assert_eq!(
            next_page_from_link_header("<https://x.test/o?page=2>;rel=next").as_deref(),
            Some("https://x.test/o?page=2")
        );
        assert_eq!(
            next_page_from_link_header("  < https://x.test/o?page=2 >  ;  REL = \"Next\"  ")
                .as_deref(),
            Some("https://x.test/o?page=2")
        );
        assert_eq!(
            next_page_from_link_header("<https://x.test/o?page=5>; rel=\"next last\"").as_deref(),
            Some("https://x.test/o?page=5")
        );
        assert_eq!(
            next_page_from_link_header(
                "<https://x.test/a>; title=\"a, b; rel=next\"; rel=prev,\n\t<https://x.test/b>; type=\"text/html\"; rel=\"next\""
            )
            .as_deref(),
            Some("https://x.test/b")
        );
    }

    #[test]
    fn no_next_means_none() {
        for header in [
            "",
            "   ",
            "<https://x.test/o?page=1>; rel=\"prev\"",
            "<https://x.test/o?page=1>; rel=\"nextpage\"",
            "<https://x.test/o?page=1>",
            "https://x.test/o?page=2; rel=next",
            "<https://x.test/o?page=2; rel=next",
            "<>; rel=next",
            "<https://x.test/a>; rel=prev; rel=next",
        ] {
            assert_eq!(next_page_from_link_header(header), None, "{header:?}");
        }
    }

    #[test]
    fn skips_a_malformed_link_and_reads_the_next() {
        assert_eq!(
            next_page_from_link_header("garbage \"with, comma\", <https://x.test/2>; rel=next")
                .as_deref(),
            Some("https://x.test/2")
        );
    }

    fn link_strategy() -> impl Strategy<Value = (String, String, bool, String)> {
        (
            "https://[a-z]{1,8}\\.test/[a-z0-9]{0,8}\\?page=[0-9]{1,3}",
            prop::sample::select(vec!["next", "prev", "first", "last", "NEXT", "next last"]),
            any::<bool>(),
            prop::sample::select(vec!["", " ", "  ", "\t"]).prop_map(str::to_string),
        )
            .prop_map(|(url, rel, quoted, ws)| (url, rel.to_string(), quoted, ws))
    }

    proptest! {
        #[test]
        fn arbitrary_input_never_panics(s in "\\PC{0,60}") {
            let _ = next_page_from_link_header(&s);
        }

        #[test]
        fn link_shaped_input_never_panics(s in "[<>;,=\" a-z\\\\]{0,40}") {
            let _ = next_page_from_link_header(&s);
        }

        #[test]
        fn finds_the_first_next_link(links in prop::collection::vec(link_strategy(), 0..5)) {
            let header = links
                .iter()
                .map(|(url, rel, quoted, ws)| {
                    let rel = if *quoted || rel.contains(' ') { format!("\"{rel}\"") } else { rel.clone() };
                    format!("<{url}>{ws};{ws}rel={rel}")
                })
                .collect::<Vec<_>>()
                .join(", ");
            let want = links
                .iter()
                .find(|(_, rel, _, _)| rel.split(' ').any(|r| r.eq_ignore_ascii_case("next")))
                .map(|(url, _, _, _)| url.clone());
            prop_assert_eq!(next_page_from_link_header(&header), want);
        }
    }
}
