//! The structural scanner: where each JSON value in the snapshot ends, without parsing it.
//!
//! The reader hands the bytes of every device to parsing threads, so it must know where one device
//! ends and the next begins before any of them is parsed. Finding that takes much less than parsing:
//! whether the scan is in a string or not, escapes, the nesting of brackets, and counting lines (for
//! the positions in error messages). These functions work on a slice of the read buffer and can stop
//! at its end and go on after the next read; [`super::input`] drives them. They do not judge the
//! JSON: at the first byte that cannot be there they stop, and the JSON parser says what is wrong.

/// Bytes that may continue a number or `true`/`false`/`null`.
pub(super) const SCALAR: [bool; 256] = byte_set(b"0123456789+-.eEtrufalsn");
/// Bytes that may stand outside strings inside an object or a list.
const BETWEEN: [bool; 256] = byte_set(b"0123456789+-.eEtrufalsn \t\r\n{}[],:\"");
/// Bytes inside a string that need no look: not `"`, not `\`, not a control character.
const PLAIN: [bool; 256] = {
    let mut set = [true; 256];
    let mut b = 0;
    while b < 0x20 {
        set[b] = false;
        b += 1;
    }
    set[b'"' as usize] = false;
    set[b'\\' as usize] = false;
    set
};

/// A mask with the high bit set in the lowest byte of `word` (little-endian) that is not
/// [`PLAIN`], if there is one. Bytes above it may be flagged too (a borrow runs upwards), so only the
/// lowest flag counts.
fn needs_look(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |w: u64| w.wrapping_sub(ONES) & !w;
    let quote = zero_byte(word ^ (ONES * u64::from(b'"')));
    let backslash = zero_byte(word ^ (ONES * u64::from(b'\\')));
    let control = word.wrapping_sub(ONES * 0x20) & !word;
    (quote | backslash | control) & HIGHS
}

const fn byte_set(bytes: &[u8]) -> [bool; 256] {
    let mut set = [false; 256];
    let mut i = 0;
    while i < bytes.len() {
        set[bytes[i] as usize] = true;
        i += 1;
    }
    set
}

/// The bytes that can start a JSON value.
pub(super) fn starts_value(b: u8) -> bool {
    matches!(b, b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n')
}

/// How the scan of a value ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ending {
    /// The value is whole.
    Complete,
    /// The scanner met a byte that cannot be there (included in the span): the JSON parser says why.
    Cut,
    /// The input ended inside the value.
    Eof,
}

/// What [`scan_compound`] found.
pub(super) enum Scanned {
    /// The value ends before this index.
    Done(usize),
    /// The byte at this index cannot be there.
    Cut(usize),
    /// The bytes ran out; go on at this index of the next read.
    More(usize),
}

/// Line counting, in offsets from the start of the document.
pub(super) struct Lines {
    pub(super) line: usize,
    /// The offset of the first byte of `line`.
    pub(super) start: u64,
}

/// Scans a string, object or list from `i`; `in_string` and `stack` (the open brackets) say where
/// the scan stands, so a value can be scanned across reads. `base` is the offset of `bytes[0]`.
pub(super) fn scan_compound(
    bytes: &[u8],
    mut i: usize,
    in_string: &mut bool,
    stack: &mut Vec<u8>,
    lines: &mut Lines,
    base: u64,
) -> Scanned {
    let n = bytes.len();
    loop {
        if *in_string {
            // Eight bytes at a time to the next byte that needs a look, then one at a time.
            while let Some(word) = bytes.get(i..).and_then(<[u8]>::first_chunk::<8>) {
                let special = needs_look(u64::from_le_bytes(*word));
                if special != 0 {
                    i += (special.trailing_zeros() / 8) as usize;
                    break;
                }
                i += 8;
            }
            while i < n && PLAIN[usize::from(bytes[i])] {
                i += 1;
            }
            let Some(&b) = bytes.get(i) else { return Scanned::More(i) };
            match b {
                b'"' => {
                    *in_string = false;
                    if stack.is_empty() {
                        return Scanned::Done(i + 1);
                    }
                }
                // An escape: the parser checks it, but the four hex digits of `\u` are checked here,
                // as they could run over the closing quote. Looked at again after the next read if
                // it is not all there.
                b'\\' => match bytes.get(i + 1) {
                    Some(b'u') => {
                        let Some(hex) = bytes.get(i + 2..i + 6) else { return Scanned::More(i) };
                        if let Some(bad) = hex.iter().position(|h| !h.is_ascii_hexdigit()) {
                            return Scanned::Cut(i + 2 + bad);
                        }
                        i += 5;
                    }
                    Some(_) => i += 1,
                    None => return Scanned::More(i),
                },
                // A control character: not allowed in a string.
                _ => return Scanned::Cut(i),
            }
            i += 1;
        } else {
            let Some(&b) = bytes.get(i) else { return Scanned::More(i) };
            match b {
                b'"' => *in_string = true,
                b'{' | b'[' => stack.push(b),
                b'}' | b']' => {
                    let open = if b == b'}' { b'{' } else { b'[' };
                    if stack.pop() != Some(open) {
                        return Scanned::Cut(i);
                    }
                    if stack.is_empty() {
                        return Scanned::Done(i + 1);
                    }
                }
                b'\n' => {
                    lines.line += 1;
                    lines.start = base + i as u64 + 1;
                }
                _ if BETWEEN[usize::from(b)] => {}
                _ => return Scanned::Cut(i),
            }
            i += 1;
        }
    }
}

/// How many bytes of `run` (bytes in [`SCALAR`]) the JSON parser takes as a number or literal
/// when it reads one without error: it stops before the first byte that cannot continue it.
pub(super) fn scalar_len(run: &[u8]) -> usize {
    for word in [&b"true"[..], b"false", b"null"] {
        if run.starts_with(word) {
            return word.len();
        }
    }
    let digit = |i: usize| run.get(i).is_some_and(u8::is_ascii_digit);
    let mut i = usize::from(run.first() == Some(&b'-'));
    match run.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            while digit(i) {
                i += 1;
            }
        }
        _ => return i,
    }
    if run.get(i) == Some(&b'.') && digit(i + 1) {
        i += 1;
        while digit(i) {
            i += 1;
        }
    }
    if matches!(run.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(run.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if digit(j) {
            i = j;
            while digit(i) {
                i += 1;
            }
        }
    }
    i
}
