//! Command output as text: the streaming UTF-8 clean-up applied before output
//! is stored, and how stored output is cut into `command_output` chunks.
//!
//! **Offsets:** the agent makes each stream valid UTF-8 *before* it is
//! spooled (invalid bytes become U+FFFD, exactly as `String::from_utf8_lossy`
//! would replace them, even when a sequence is split between two reads). The
//! spool file is therefore the exact text the server will hold, and every
//! offset, length and limit is a byte count of that UTF-8 text: a chunk's
//! `offset` is where its `data` starts in the stored stream, the next chunk
//! starts at `offset + data.len()`, and `stdout_bytes`/`stderr_bytes` in the
//! result are the stored lengths. Chunks and the output limit are always cut
//! at character boundaries, so every chunk is valid UTF-8 on its own and the
//! server's concatenation reproduces the spool file byte for byte.

/// Turns a byte stream into valid UTF-8, one read at a time.
#[derive(Debug, Default)]
pub struct Utf8Cleaner {
    /// The start of a character cut off at the end of the previous read (≤ 3 bytes).
    pending: Vec<u8>,
}

impl Utf8Cleaner {
    /// Appends the text of `input` to `out`; an incomplete character at the
    /// end is kept for the next call.
    pub fn push(&mut self, input: &[u8], out: &mut String) {
        if self.pending.is_empty() {
            self.decode(input, out);
        } else {
            let mut joined = std::mem::take(&mut self.pending);
            joined.extend_from_slice(input);
            self.decode(&joined, out);
        }
    }

    /// Ends the stream: an incomplete character left over becomes U+FFFD.
    pub fn finish(&mut self, out: &mut String) {
        if !self.pending.is_empty() {
            self.pending.clear();
            out.push(char::REPLACEMENT_CHARACTER);
        }
    }

    fn decode(&mut self, mut input: &[u8], out: &mut String) {
        loop {
            match std::str::from_utf8(input) {
                Ok(text) => {
                    out.push_str(text);
                    return;
                }
                Err(error) => {
                    let (valid, rest) = input.split_at(error.valid_up_to());
                    // Valid by construction: `valid_up_to` says so.
                    out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                    match error.error_len() {
                        Some(invalid) => {
                            out.push(char::REPLACEMENT_CHARACTER);
                            input = &rest[invalid..];
                        }
                        None => {
                            self.pending = rest.to_vec();
                            return;
                        }
                    }
                }
            }
        }
    }
}

/// The longest prefix of `text` of at most `max_bytes` bytes that ends on a
/// character boundary.
pub fn prefix_at_char_boundary(text: &str, max_bytes: u64) -> &str {
    let mut end = usize::try_from(max_bytes)
        .unwrap_or(usize::MAX)
        .min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Bytes `c` takes inside a JSON string as serde_json writes it.
fn json_escaped_len(c: char) -> usize {
    match c {
        '"' | '\\' | '\n' | '\r' | '\t' | '\u{08}' | '\u{0c}' => 2,
        c if (c as u32) < 0x20 => 6,
        c => c.len_utf8(),
    }
}

/// Length in bytes of the first chunk of `text`: at most `max_bytes` of
/// UTF-8 and at most `max_json_bytes` once escaped in JSON (control
/// characters take six bytes there), ending on a character boundary. At least
/// one character unless `text` is empty, so a sender always makes progress.
pub fn chunk_len(text: &str, max_bytes: usize, max_json_bytes: usize) -> usize {
    let mut raw = 0;
    let mut escaped = 0;
    for c in text.chars() {
        let next_raw = raw + c.len_utf8();
        let next_escaped = escaped + json_escaped_len(c);
        if raw > 0 && (next_raw > max_bytes || next_escaped > max_json_bytes) {
            break;
        }
        raw = next_raw;
        escaped = next_escaped;
    }
    raw
}

/// The valid UTF-8 text at the start of `bytes`, which were read from a
/// spool file at a character boundary: a character cut by the end of the
/// read is left for the next read.
pub fn complete_prefix(bytes: &[u8]) -> &str {
    match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => std::str::from_utf8(&bytes[..error.valid_up_to()]).unwrap_or_default(),
    }
}

/// How many leading bytes of `bytes` are UTF-8 continuation bytes (at most
/// three): an offset inside a character moves forward past them.
pub fn continuation_prefix_len(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .take(3)
        .take_while(|b| (**b & 0b1100_0000) == 0b1000_0000)
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean_in_pieces(bytes: &[u8], piece: usize) -> String {
        let mut cleaner = Utf8Cleaner::default();
        let mut out = String::new();
        for part in bytes.chunks(piece) {
            cleaner.push(part, &mut out);
        }
        cleaner.finish(&mut out);
        out
    }

    #[test]
    fn cleaning_in_any_piece_size_equals_lossy_decoding_of_the_whole() {
        let inputs: [&[u8]; 6] = [
            "héllo wörld — 日本語 🎉".as_bytes(),
            b"abc\xffdef\xfe",
            b"\xe6\x97",      // a character cut at the very end
            b"x\xf0\x9f\x8e", // four-byte character missing its last byte
            b"\xed\xa0\x80 surrogate",
            b"\xc3\x28 bad continuation",
        ];
        for input in inputs {
            let expected = String::from_utf8_lossy(input);
            for piece in 1..=input.len().max(1) {
                assert_eq!(
                    clean_in_pieces(input, piece),
                    expected,
                    "{input:?} in pieces of {piece}"
                );
            }
        }
    }

    #[test]
    fn limits_cut_at_character_boundaries() {
        let text = "aé日🎉";
        assert_eq!(prefix_at_char_boundary(text, 0), "");
        assert_eq!(prefix_at_char_boundary(text, 2), "a");
        assert_eq!(prefix_at_char_boundary(text, 3), "aé");
        assert_eq!(prefix_at_char_boundary(text, 5), "aé");
        assert_eq!(prefix_at_char_boundary(text, 6), "aé日");
        assert_eq!(prefix_at_char_boundary(text, 100), text);
    }

    #[test]
    fn chunks_respect_the_byte_and_json_budgets_and_always_progress() {
        assert_eq!(chunk_len("", 10, 10), 0);
        assert_eq!(chunk_len("abcdef", 4, 100), 4);
        assert_eq!(chunk_len("日日日", 7, 100), 6);
        // One oversized character still goes out alone rather than never.
        assert_eq!(chunk_len("🎉abc", 2, 2), 4);
        // Control characters cost six bytes in JSON.
        assert_eq!(chunk_len("\u{1}\u{1}\u{1}", 100, 13), 2);
        assert_eq!(chunk_len("\n\n\n", 100, 5), 2);
        // Chunks concatenate back to the text, offsets advance by bytes sent.
        let text = "line\u{0} é 日本 🎉\n".repeat(50);
        let mut offset = 0;
        let mut rebuilt = String::new();
        while offset < text.len() {
            let len = chunk_len(&text[offset..], 7, 20);
            assert!(len > 0);
            let chunk = &text[offset..offset + len];
            assert!(serde_json::to_string(chunk).unwrap().len() <= 22);
            rebuilt.push_str(chunk);
            offset += len;
        }
        assert_eq!(rebuilt, text);
    }

    #[test]
    fn reads_ending_inside_a_character_keep_only_whole_characters() {
        let bytes = "a日".as_bytes();
        assert_eq!(complete_prefix(&bytes[..3]), "a");
        assert_eq!(complete_prefix(bytes), "a日");
        assert_eq!(continuation_prefix_len(&bytes[2..]), 2);
        assert_eq!(continuation_prefix_len(b"abc"), 0);
    }
}
