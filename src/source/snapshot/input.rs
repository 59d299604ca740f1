//! The snapshot as the scanner sees it: the file read a chunk at a time into one reused buffer, the
//! scanner's position in it, and the bytes of each value found there.
//!
//! A wholly read or mapped file would count in the resident set for as long as the load runs; a
//! buffer of [`super::CHUNK`] bytes does not. A value that runs past the end of the buffer is moved to
//! its front and the rest read behind it (the buffer grows for a value larger than a chunk, and
//! shrinks back after it), so every value is parsed from one slice ([`parse_span`]), and a parser's
//! error inside it is placed in the file.

use std::io::{self, Read};

use serde_json::de::SliceRead;
use serde_json::error::Category;

use super::problem::{Context, Origin, Pos, Problem};
use super::scan::{scalar_len, scan_compound, Ending, Lines, Scanned, SCALAR};

/// Bytes past one that cannot be there that the JSON parser gets to see.
const CUT_CONTEXT: usize = 16;

/// The bytes of one value: `buf[start..end]` of [`Input`], until the next read.
#[derive(Debug, Clone, Copy)]
pub(super) struct Span {
    pub(super) start: usize,
    pub(super) end: usize,
    /// False for a number or `true`/`false`/`null`: the span runs on to the byte after it (when
    /// there is one), which the JSON parser needs to see to tell where the value ends or what is
    /// wrong with it, as it would in the whole document. The parser stops before that byte.
    pub(super) whole: bool,
    pub(super) origin: Origin,
    /// The place of the value's last byte.
    pub(super) end_pos: Pos,
    pub(super) ending: Ending,
}

pub(super) type Json<'a> = serde_json::Deserializer<SliceRead<'a>>;

/// The file, read a chunk at a time into one buffer, with the scanner's position in it.
pub(super) struct Input<R> {
    source: R,
    /// `buf[..end]` holds the bytes read and not yet dropped; the rest is room for the next read.
    pub(super) buf: Vec<u8>,
    end: usize,
    /// The next byte to look at.
    pub(super) pos: usize,
    chunk: usize,
    /// The offset in the document (after a byte order mark) of `buf[0]`.
    base: u64,
    eof: bool,
    pub(super) lines: Lines,
    /// The scanner's open brackets (kept for its room).
    stack: Vec<u8>,
}

impl<R: Read> Input<R> {
    pub(super) fn new(source: R, chunk: usize) -> Self {
        Input {
            source,
            buf: Vec::new(),
            end: 0,
            pos: 0,
            // Room for a byte order mark in the first read.
            chunk: chunk.max(4),
            base: 0,
            eof: false,
            lines: Lines { line: 1, start: 0 },
            stack: Vec::new(),
        }
    }

    /// Drops the bytes before `keep`, moves the rest to the front and reads more behind them: a
    /// chunk, or more when what is kept is more than half a chunk. Indices into the buffer shift
    /// down by `keep` (`pos` is shifted here), also when nothing more could be read: then false.
    fn refill(&mut self, keep: usize) -> Result<bool, Problem> {
        let kept = self.end - keep;
        if keep > 0 {
            self.buf.copy_within(keep..self.end, 0);
        }
        self.base += keep as u64;
        self.pos -= keep;
        self.end = kept;
        if self.eof {
            return Ok(false);
        }
        let target = if kept <= self.chunk / 2 { self.chunk } else { kept + self.chunk };
        if self.buf.len() > 2 * self.chunk && target <= self.chunk {
            // A large value made the buffer grow: back to a chunk.
            self.buf.truncate(self.chunk);
            self.buf.shrink_to_fit();
        }
        if self.buf.len() < target {
            self.buf.resize(target, 0);
        }
        let before = self.end;
        while self.end < target {
            match self.source.read(&mut self.buf[self.end..target]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => self.end += n.min(target - self.end),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Problem::Read(e)),
            }
        }
        Ok(self.end > before)
    }

    /// Reads the first chunk; refuses UTF-16 and drops a UTF-8 byte order mark.
    pub(super) fn start(&mut self) -> Result<(), Problem> {
        self.refill(0)?;
        let head = &self.buf[..self.end];
        if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
            return Err(Problem::Utf16);
        }
        // Some Windows editors add a byte order mark; it is not JSON, and positions count after it.
        if head.starts_with(b"\xEF\xBB\xBF") {
            self.buf.copy_within(3..self.end, 0);
            self.end -= 3;
        }
        Ok(())
    }

    /// Skips whitespace; the next byte (not taken), or None at the end of the input.
    pub(super) fn peek(&mut self) -> Result<Option<u8>, Problem> {
        loop {
            while let Some(&b) = self.buf[..self.end].get(self.pos) {
                match b {
                    b' ' | b'\t' | b'\r' => {}
                    b'\n' => {
                        self.lines.line += 1;
                        self.lines.start = self.base + self.pos as u64 + 1;
                    }
                    _ => return Ok(Some(b)),
                }
                self.pos += 1;
            }
            if !self.refill(self.pos)? {
                return Ok(None);
            }
        }
    }

    /// Whether all that is left from `pos` on is ASCII whitespace (read to the end if so).
    pub(super) fn rest_is_whitespace(&mut self) -> Result<bool, Problem> {
        loop {
            if !self.buf[self.pos..self.end].iter().all(u8::is_ascii_whitespace) {
                return Ok(false);
            }
            self.pos = self.end;
            if !self.refill(self.pos)? {
                return Ok(true);
            }
        }
    }

    /// The place just after the byte before index `i` (the JSON parser's way to say where it is).
    pub(super) fn place(&self, i: usize) -> Pos {
        let offset = self.base + i as u64;
        Pos { line: self.lines.line, column: offset.saturating_sub(self.lines.start) as usize }
    }

    /// The place of the byte [`Input::peek`] returned, or of the end of the input.
    pub(super) fn here(&self) -> Pos {
        self.place((self.pos + 1).min(self.end))
    }

    /// Finds the bytes of the value starting at `pos` (a byte that [`super::scan::starts_value`]); `pos` moves
    /// past it.
    pub(super) fn scan_value(&mut self) -> Result<Span, Problem> {
        let origin = Origin { line: self.lines.line, column: self.place(self.pos).column };
        let first = self.buf[self.pos];
        if !matches!(first, b'{' | b'[' | b'"') {
            return self.scan_scalar(origin);
        }
        let mut in_string = first == b'"';
        let mut i = self.pos + usize::from(in_string);
        self.stack.clear();
        let (end, ending) = loop {
            let bytes = &self.buf[..self.end];
            match scan_compound(bytes, i, &mut in_string, &mut self.stack, &mut self.lines, self.base) {
                Scanned::Done(end) => break (end, Ending::Complete),
                Scanned::Cut(mut at) => {
                    // The parser may need a few bytes past it to say what is wrong (a `\u` escape
                    // takes four).
                    while at + 1 + CUT_CONTEXT > self.end {
                        let keep = self.pos;
                        let more = self.refill(keep)?;
                        at -= keep;
                        if !more {
                            break;
                        }
                    }
                    break ((at + 1 + CUT_CONTEXT).min(self.end), Ending::Cut);
                }
                Scanned::More(next) => {
                    let keep = self.pos;
                    let more = self.refill(keep)?;
                    i = next - keep;
                    if !more {
                        break (self.end, Ending::Eof);
                    }
                }
            }
        };
        let span = Span { start: self.pos, end, whole: true, origin, end_pos: self.place(end), ending };
        self.pos = end;
        Ok(span)
    }

    /// [`Input::scan_value`] for a number or `true`/`false`/`null`: the bytes that may belong to
    /// it, and the one after (see [`Span::whole`]); `pos` moves past what the parser will take.
    fn scan_scalar(&mut self, origin: Origin) -> Result<Span, Problem> {
        let mut i = self.pos + 1;
        loop {
            while i < self.end && SCALAR[usize::from(self.buf[i])] {
                i += 1;
            }
            if i < self.end {
                break;
            }
            let keep = self.pos;
            let more = self.refill(keep)?;
            i -= keep;
            if !more {
                break;
            }
        }
        let start = self.pos;
        self.pos += scalar_len(&self.buf[start..i]);
        Ok(Span {
            start,
            end: (i + 1).min(self.end),
            whole: false,
            origin,
            end_pos: self.place(self.pos),
            ending: Ending::Complete,
        })
    }

    /// Parses the value in `span` with `read`.
    pub(super) fn parse<'a, T>(
        &'a self,
        span: &Span,
        context: Context,
        read: impl FnOnce(&mut Json<'a>) -> Result<T, serde_json::Error>,
    ) -> Result<T, Problem> {
        parse_span(&self.buf, span, context, read)
    }
}

/// Parses the value in `span` of `bytes` with `read`; an error names its place in the file.
pub(super) fn parse_span<'a, T>(
    bytes: &'a [u8],
    span: &Span,
    context: Context,
    read: impl FnOnce(&mut Json<'a>) -> Result<T, serde_json::Error>,
) -> Result<T, Problem> {
    let mut json = serde_json::Deserializer::from_slice(&bytes[span.start..span.end]);
    let read = read(&mut json).and_then(|value| if span.whole { json.end().map(|()| value) } else { Ok(value) });
    match read {
        Ok(value) if span.ending == Ending::Complete => Ok(value),
        // The scanner stopped where the parser did not (not expected): say where.
        Ok(_) => {
            let (category, what) = match span.ending {
                Ending::Eof => (Category::Eof, "EOF while parsing a value"),
                _ => (Category::Syntax, "expected value"),
            };
            Err(Problem::Json { at: Some(span.end_pos), context, category, what: what.to_owned() })
        }
        Err(err) => Err(Problem::from_serde(&err, span.origin, context)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_buffer_grows_for_a_large_value_and_shrinks_after() {
        let big = format!("{{\"kind\": \"{}\", \"version\": 1, \"managedDevices\": []}}", "x".repeat(1000));
        let mut input = Input::new(big.as_bytes(), 64);
        input.start().unwrap();
        assert_eq!(input.peek().unwrap(), Some(b'{'));
        input.pos += 1;
        let key = input.scan_value().unwrap();
        assert_eq!(&input.buf[key.start..key.end], b"\"kind\"");
        input.pos += 1;
        assert_eq!(input.peek().unwrap(), Some(b'"'));
        let value = input.scan_value().unwrap();
        assert_eq!(value.end - value.start, 1002);
        assert!(input.buf.len() >= 1002);
        while input.peek().unwrap().is_some() {
            input.pos += 1;
        }
        assert!(input.buf.len() <= 64, "{}", input.buf.len());
    }
}
