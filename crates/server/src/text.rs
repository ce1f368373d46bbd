//! Text that people read in the dashboard: names and hostnames may
//! not carry characters that are invisible or that reorder what is shown
//! (U+202E RIGHT-TO-LEFT OVERRIDE before "fdp.exe" makes "invoice" + it read as "invoiceexe.pdf").

use crate::services::error::ServiceError;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Whether `value` holds a control character (Cc) or an invisible format
/// character (Cf: bidirectional overrides and isolates, zero-width joiners
/// and spaces, the byte-order mark…).
pub fn has_hidden_characters(value: &str) -> bool {
    value.chars().any(is_hidden)
}

fn is_hidden(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Control | GeneralCategory::Format
    )
}

/// The first `max` characters of `value`, for quoting untrusted text in messages.
pub fn truncate(value: &str, max: usize) -> String {
    value.chars().take(max).collect()
}

/// Most characters of a name (clients, sites, scripts, policies, an agent's alias…).
pub const MAX_NAME_CHARS: usize = 200;

/// Validates a name given by a user: trimmed, 1 to 200 characters, no control,
/// bidirectional or other invisible characters.
pub fn valid_name(name: &str) -> Result<String, ServiceError> {
    valid_line("name", name, MAX_NAME_CHARS)
}

/// Validates one line of text a user gives in `field` with the rules of
/// [`valid_name`] and at most `max_chars` characters; the error names the field.
pub fn valid_line(field: &str, value: &str, max_chars: usize) -> Result<String, ServiceError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ServiceError::invalid(format!("{field} must not be empty")));
    }
    if value.chars().count() > max_chars {
        return Err(ServiceError::invalid(format!(
            "{field} must have at most {max_chars} characters"
        )));
    }
    if has_hidden_characters(value) {
        return Err(ServiceError::invalid(format!(
            "{field} must not contain control, bidirectional or other invisible characters"
        )));
    }
    Ok(value.to_string())
}

/// Whether `value`, text of several lines, holds a hidden character other
/// than line breaks and tabs.
pub fn has_hidden_characters_in_text(value: &str) -> bool {
    value
        .chars()
        .any(|c| !matches!(c, '\n' | '\r' | '\t') && is_hidden(c))
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
        assert!(!has_hidden_characters_in_text("line one\r\n\tline two"));
        assert!(has_hidden_characters_in_text("line\n\u{202E}gnp.exe"));
    }

    #[test]
    fn a_line_names_its_field_when_refused() {
        assert_eq!(
            valid_line("alias", "  Front desk ", 20).unwrap(),
            "Front desk"
        );
        for (value, message) in [
            ("  ", "alias must not be empty"),
            (
                "x".repeat(21).as_str(),
                "alias must have at most 20 characters",
            ),
            (
                "a\u{200B}b",
                "alias must not contain control, bidirectional or other invisible characters",
            ),
        ] {
            assert_eq!(
                valid_line("alias", value, 20).unwrap_err().to_string(),
                message
            );
        }
    }
}
