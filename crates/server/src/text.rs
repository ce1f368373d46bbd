//! Text that people read in the dashboard: names and hostnames may
//! not carry characters that are invisible or that reorder what is shown
//! (U+202E RIGHT-TO-LEFT OVERRIDE before "fdp.exe" makes "invoice" + it read as "invoiceexe.pdf").

use crate::services::error::ServiceError;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Whether `value` holds a control character (Cc) or an invisible format
/// character (Cf: bidirectional overrides and isolates, zero-width joiners
/// and spaces, the byte-order mark…).
pub fn has_hidden_characters(value: &str) -> bool {
    value.chars().any(|c| {
        matches!(
            c.general_category(),
            GeneralCategory::Control | GeneralCategory::Format
        )
    })
}

/// The first `max` characters of `value`, for quoting untrusted text in messages.
pub fn truncate(value: &str, max: usize) -> String {
    value.chars().take(max).collect()
}

/// Validates a name given by a user: trimmed, 1 to 200 characters, no control,
/// bidirectional or other invisible characters.
pub fn valid_name(name: &str) -> Result<String, ServiceError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ServiceError::invalid("name must not be empty"));
    }
    if name.chars().count() > 200 {
        return Err(ServiceError::invalid(
            "name must have at most 200 characters",
        ));
    }
    if has_hidden_characters(name) {
        return Err(ServiceError::invalid(
            "name must not contain control, bidirectional or other invisible characters",
        ));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidirectional_and_invisible_characters_are_found() {
        for hostile in [
            "invoice\u{202E}fdp.exe",
            "a\u{2066}b",
            "zero\u{200B}width",
            "\u{FEFF}bom",
            "joiner\u{200D}",
            "nul\0",
            "tab\there",
            "soft\u{00AD}hyphen",
            "tag\u{E0041}",
        ] {
            assert!(has_hidden_characters(hostile), "{hostile:?}");
        }
        for fine in [
            "Acme GmbH",
            "Zürich – HQ",
            "東京オフィス",
            "web-01.example.com",
            "Ünïcödé 👍",
        ] {
            assert!(!has_hidden_characters(fine), "{fine:?}");
        }
    }
}
