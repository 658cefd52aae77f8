//! Free text people type (desk notes, charge items, staff and venue names): what may be stored,
//! and how stored text is shown on a terminal.
//!
//! Text is refused, never silently altered beyond trimming, when it holds what would make it
//! display differently from what is stored: C0 and C1 control characters (ESC starts the ANSI
//! escapes that recolour, move or clear a terminal), the bidirectional overrides and isolates
//! (U+202A–U+202E, U+2066–U+2069: "Trojan Source" text that reads one way and is another) and
//! the Unicode line and paragraph separators. Multi-line fields keep line breaks and tabs
//! (a CRLF becomes LF). Everything else, accents, scripts and emoji with their joiners, is kept.

use crate::DomainError;
use std::borrow::Cow;

/// Whether a field is one line (names, bill lines) or may hold several (notes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    One,
    Many,
}

/// One kind of free text: its name in error messages, its length limit and its lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextField {
    pub name: &'static str,
    /// In characters (Unicode scalar values), after trimming.
    pub max_chars: usize,
    pub lines: Lines,
}

/// A front-desk note. Kept here and never sent to the PMS; 4,000 characters is a long page,
/// as the app's note editor has always allowed.
pub const DESK_NOTE: TextField = TextField {
    name: "desk note",
    max_chars: 4_000,
    lines: Lines::Many,
};

/// What a charge to a stay was for: the order item's `Name` on the guest's bill. Mews documents
/// no maximum for `OrderItemAdditionData.Name` (only `minLength: 1`), so this is our own limit:
/// 255 characters fits every bill line and invoice printout we know of.
pub const CHARGE_ITEM: TextField = TextField {
    name: "item",
    max_chars: 255,
    lines: Lines::One,
};

/// A staff member's name: shown on the PIN screen and in the audit, and sent to the PMS in the
/// order's `Notes` ("Venue Console, by …").
pub const STAFF_NAME: TextField = TextField {
    name: "staff name",
    max_chars: 80,
    lines: Lines::One,
};

/// The venue's name.
pub const VENUE_NAME: TextField = TextField {
    name: "name",
    max_chars: 200,
    lines: Lines::One,
};

/// A POS location's name (a Square location, a Toast restaurant), from its vendor or the
/// venue's config: one line, as long as a venue's name may be.
pub const LOCATION_NAME: TextField = TextField {
    name: "location name",
    max_chars: 200,
    lines: Lines::One,
};

/// Why a character may not be stored, or None when it may (in a field of `lines`).
fn refusal(c: char, lines: Lines) -> Option<&'static str> {
    match c {
        '\n' | '\t' if lines == Lines::Many => None,
        '\n' | '\r' => Some("a line break (this field is one line)"),
        '\u{1b}' => Some("an escape character (ESC, which starts terminal escape sequences)"),
        c if c.is_control() => Some("a control character"),
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
            Some("a bidirectional override, which makes text display differently from what it is")
        }
        '\u{2028}' | '\u{2029}' => Some("a Unicode line or paragraph separator"),
        _ => None,
    }
}

/// Whether `c` may be stored in a field of `lines`.
pub fn is_allowed(c: char, lines: Lines) -> bool {
    refusal(c, lines).is_none()
}

impl TextField {
    /// The text as it is stored: trimmed (a CRLF in a multi-line field becomes LF), or an
    /// error naming the field and what was wrong. Empty or whitespace-only text is refused.
    pub fn clean(&self, input: &str) -> Result<String, DomainError> {
        let invalid = |reason: String| DomainError::Invalid {
            field: self.name,
            reason,
        };
        let text = match self.lines {
            Lines::Many if input.contains("\r\n") => Cow::Owned(input.replace("\r\n", "\n")),
            _ => Cow::Borrowed(input),
        };
        let text = text.trim();
        if text.is_empty() {
            return Err(invalid("it is empty (or only spaces)".into()));
        }
        if let Some((at, c, why)) = text
            .chars()
            .enumerate()
            .find_map(|(i, c)| refusal(c, self.lines).map(|why| (i, c, why)))
        {
            return Err(invalid(format!(
                "it holds {why}, U+{:04X}, at character {}; remove it",
                u32::from(c),
                at + 1
            )));
        }
        let length = text.chars().count();
        if length > self.max_chars {
            return Err(invalid(format!(
                "it is {length} characters long; at most {} are allowed",
                self.max_chars
            )));
        }
        Ok(text.to_string())
    }

    /// Whether `text` is exactly what [`Self::clean`] stores (for text read back before it is
    /// sent anywhere: rows written before these rules existed may not be).
    pub fn is_clean(&self, text: &str) -> bool {
        self.clean(text).is_ok_and(|c| c == text)
    }
}

/// Stored or vendor text made safe to print on a terminal: every character [`TextField::clean`]
/// refuses in a one-line field (controls, escapes, bidi overrides, line breaks) is shown as
/// `\u{…}` (`\n` and `\t` as themselves), so nothing written before these rules, or sent by a
/// vendor, can recolour, move or reorder what a terminal shows.
pub fn printable(text: &str) -> Cow<'_, str> {
    if text.chars().all(|c| is_allowed(c, Lines::One)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if is_allowed(c, Lines::One) => out.push(c),
            c => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hostile_text_is_refused_with_the_field_named() {
        for (field, input, why) in [
            (DESK_NOTE, "ok \u{1b}[2J cleared", "escape"),
            (DESK_NOTE, "   \n\t  ", "empty"),
            (DESK_NOTE, "", "empty"),
            (DESK_NOTE, "a\u{7}bell", "control"),
            (DESK_NOTE, "c1 \u{9b}31m", "control"),
            (DESK_NOTE, "a\rb", "line break"),
            (CHARGE_ITEM, "Minibar\nextra", "line break"),
            (CHARGE_ITEM, "Mini\tbar", "control"),
            (STAFF_NAME, "Sam \u{202e}nimda", "bidirectional"),
            (STAFF_NAME, "Sam \u{2067}x", "bidirectional"),
            (VENUE_NAME, "Inn\u{2028}Bar", "separator"),
            (CHARGE_ITEM, "nul\0", "control"),
        ] {
            let err = field.clean(input).expect_err(input).to_string();
            assert!(
                err.contains(field.name) && err.contains(why),
                "{input:?}: {err}"
            );
        }
        let long = "x".repeat(CHARGE_ITEM.max_chars + 1);
        let err = CHARGE_ITEM.clean(&long).expect_err("too long").to_string();
        assert!(
            err.contains("256 characters") && err.contains("255"),
            "{err}"
        );
        assert!(DESK_NOTE.clean(&"n".repeat(100_000)).is_err());
    }

    #[test]
    fn ordinary_text_is_kept_as_typed() {
        assert_eq!(CHARGE_ITEM.clean("  Minibar  ").as_deref(), Ok("Minibar"));
        assert_eq!(
            DESK_NOTE.clean("Line one\r\n\tLine two\n").as_deref(),
            Ok("Line one\n\tLine two")
        );
        for kept in [
            "Crème brûlée",
            "Zoë's 🎂 👨‍👩‍👧",
            "שלום עולם",
            "مرحبا",
            "東京 room",
            "\u{200f}rtl mark",
        ] {
            assert_eq!(CHARGE_ITEM.clean(kept).as_deref(), Ok(kept));
        }
        assert_eq!(
            CHARGE_ITEM
                .clean(&"é".repeat(CHARGE_ITEM.max_chars))
                .map(|s| s.chars().count()),
            Ok(255),
            "the limit counts characters, not bytes"
        );
    }

    #[test]
    fn printable_neutralises_what_a_terminal_would_obey() {
        assert_eq!(printable("Minibar"), "Minibar");
        assert_eq!(printable("a\u{1b}[31mred"), "a\\u{1b}[31mred");
        assert_eq!(printable("x\u{202e}y\nz\t"), "x\\u{202e}y\\nz\\t");
        assert_eq!(printable("\u{9b}2J"), "\\u{9b}2J");
    }

    fn any_text() -> impl Strategy<Value = String> {
        // Mostly the characters hostile input is made of, and any character at all.
        let hostile = prop::sample::select(vec![
            '\u{0}', '\u{7}', '\u{1b}', '[', '\n', '\r', '\t', ' ', '\u{7f}', '\u{85}', '\u{9b}',
            '\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}', '\u{2028}', '\u{200d}', 'a', 'é',
        ]);
        prop::collection::vec(prop_oneof![hostile, any::<char>()], 0..300)
            .prop_map(|cs| cs.into_iter().collect())
    }

    proptest! {
        #[test]
        fn any_text_is_refused_or_kept_clean(input in any_text()) {
            for field in [DESK_NOTE, CHARGE_ITEM, STAFF_NAME, VENUE_NAME] {
                let normalised = match field.lines {
                    Lines::Many => input.replace("\r\n", "\n"),
                    Lines::One => input.clone(),
                };
                let expected = normalised.trim();
                // Refused exactly when something is really wrong.
                let fine = !expected.is_empty()
                    && expected.chars().count() <= field.max_chars
                    && expected.chars().all(|c| is_allowed(c, field.lines));
                match field.clean(&input) {
                    Ok(stored) => {
                        prop_assert!(fine, "{input:?} accepted");
                        prop_assert!(!stored.chars().any(|c| c.is_control() && c != '\n' && c != '\t'));
                        prop_assert!(stored.chars().all(|c| is_allowed(c, field.lines)), "{stored:?}");
                        prop_assert!(stored.chars().count() <= field.max_chars);
                        prop_assert!(field.is_clean(&stored), "cleaning is idempotent");
                        prop_assert_eq!(stored.as_str(), expected);
                    }
                    Err(e) => {
                        prop_assert!(!fine, "{input:?} refused: {e}");
                        prop_assert!(e.to_string().contains(field.name));
                    }
                }
            }
            prop_assert!(printable(&input).chars().all(|c| is_allowed(c, Lines::One)));
        }
    }
}
