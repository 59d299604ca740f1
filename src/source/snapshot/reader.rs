//! The document's structure: the top-level object, its keys and the lists read element by element,
//! walked on the reading thread with the scanner's [`Input`].
//!
//! Between values the reader reports what is wrong (a missing comma, trailing characters, a truncated
//! file, a top-level value that is not an object) the way the JSON parser would; each value it finds
//! goes to [`State`] (what the keys mean) or, for a device, to the parsing threads ([`Handoff`]).
//! `managedDevices`, `detectedApps` and `groups` can be large (`groups` holds every member of every
//! group), so each of their elements is parsed on its own and the buffer never holds a whole list.

use std::io::Read;

use serde::Deserialize;
use serde::Deserializer as _;
use serde_json::error::Category;

use super::input::{Input, Span};
use super::pipeline::Handoff;
use super::problem::{Context, Origin, Problem};
use super::scan::{starts_value, Ending};
use super::schema::{DeviceVisitor, Key, NotASnapshot, State};
use crate::source::wire::{GraphDetectedApp, GraphGroup};

/// The reading thread: the scanner's input, what it gathers, and the devices it hands on.
pub(super) struct Reader<'s, R> {
    pub(super) input: Input<R>,
    pub(super) state: State,
    pub(super) handoff: Handoff<'s>,
}

impl<'s, R: Read> Reader<'s, R> {
    pub(super) fn new(input: Input<R>, handoff: Handoff<'s>) -> Self {
        Reader { input, state: State::new(), handoff }
    }

    /// Hands the detected apps to the collecting thread, once they and all the devices are read, so
    /// that it attaches them while this one reads on.
    fn send_apps(&mut self) -> Result<(), Problem> {
        if !self.state.devices_read || self.state.apps.is_empty() {
            return Ok(());
        }
        self.handoff.send_apps(std::mem::take(&mut self.state.apps))
    }

    /// A JSON syntax error at the byte just peeked (or the end of the input).
    fn syntax(&self, what: &str) -> Problem {
        let category = if what.starts_with("EOF") { Category::Eof } else { Category::Syntax };
        Problem::Json { at: Some(self.input.here()), context: self.state.context, category, what: what.to_owned() }
    }

    /// Reads the whole document.
    pub(super) fn document(&mut self) -> Result<(), Problem> {
        self.input.start()?;
        match self.input.peek()? {
            None => return Err(Problem::Empty),
            Some(b'{') => self.input.pos += 1,
            // A form feed is not JSON whitespace, but a file of nothing else is still empty.
            Some(b'\x0C') => {
                let problem = self.not_an_object();
                return Err(if self.input.rest_is_whitespace()? { Problem::Empty } else { problem });
            }
            Some(_) => return Err(self.not_an_object()),
        }
        let mut first = true;
        loop {
            self.state.context = Context::Top;
            match self.input.peek()? {
                None => return Err(self.syntax("EOF while parsing an object")),
                Some(b'}') => {
                    self.input.pos += 1;
                    break;
                }
                Some(b'"') if first => {}
                Some(_) if first => return Err(self.syntax("key must be a string")),
                Some(b',') => {
                    self.input.pos += 1;
                    match self.input.peek()? {
                        Some(b'"') => {}
                        Some(b'}') => return Err(self.syntax("trailing comma")),
                        Some(_) => return Err(self.syntax("key must be a string")),
                        None => return Err(self.syntax("EOF while parsing a value")),
                    }
                }
                Some(_) => return Err(self.syntax("expected `,` or `}`")),
            }
            first = false;
            self.entry()?;
        }
        self.state.context = Context::Top;
        match self.input.peek()? {
            None => Ok(()),
            Some(_) => Err(self.syntax("trailing characters")),
        }
    }

    /// The top-level value does not start with `{`: what the JSON parser says about it.
    fn not_an_object(&mut self) -> Problem {
        let input = &mut self.input;
        let first = input.buf[input.pos];
        if !starts_value(first) {
            return self.syntax("expected value");
        }
        let span = if first == b'[' {
            // The parser refuses a list at its first byte; no need to scan what may be the whole file.
            let at = input.pos;
            Span {
                start: at,
                end: at + 1,
                whole: true,
                origin: Origin { line: input.lines.line, column: input.place(at).column },
                end_pos: input.place(at + 1),
                ending: Ending::Complete,
            }
        } else {
            match input.scan_value() {
                Ok(span) => span,
                Err(problem) => return problem,
            }
        };
        match self.input.parse(&span, Context::Top, |json| json.deserialize_map(NotASnapshot)) {
            Err(problem) => problem,
            Ok(()) => Problem::Json {
                at: Some(span.end_pos),
                context: Context::Top,
                category: Category::Data,
                what: "expected an intune-reach snapshot (a JSON object)".to_owned(),
            },
        }
    }

    /// One key and its value (`pos` is at the key's opening quote).
    fn entry(&mut self) -> Result<(), Problem> {
        let span = self.input.scan_value()?;
        let key: Key = self.input.parse(&span, Context::Top, |json| Key::deserialize(json))?;
        self.state.key(key, &span)?;
        match self.input.peek()? {
            Some(b':') => self.input.pos += 1,
            Some(_) => return Err(self.syntax("expected `:`")),
            None => return Err(self.syntax("EOF while parsing an object")),
        }
        match self.input.peek()? {
            None => Err(self.syntax("EOF while parsing a value")),
            Some(b'[') if key == Key::ManagedDevices => {
                self.list(Context::Device, Self::device)?;
                self.state.devices_read = true;
                self.handoff.send_batch()?;
                self.send_apps()
            }
            // Lists that can be large too (`groups` holds every member of every group): each
            // element is parsed on its own, so the buffer never holds the whole list.
            Some(b'[') if key == Key::DetectedApps => self
                .list(
                    |_| Context::Key(key.name()),
                    |reader, _| {
                        let span = reader.element()?;
                        let app = reader
                            .input
                            .parse(&span, reader.state.context, |json| GraphDetectedApp::deserialize(json))?;
                        reader.state.apps.push(app);
                        Ok(())
                    },
                )
                .and_then(|()| self.send_apps()),
            Some(b'[') if key == Key::Groups => self.list(
                |_| Context::Key(key.name()),
                |reader, _| {
                    let span = reader.element()?;
                    let group =
                        reader.input.parse(&span, reader.state.context, |json| GraphGroup::deserialize(json))?;
                    reader.state.groups.add_group(group.to_group());
                    Ok(())
                },
            ),
            Some(b) if starts_value(b) => {
                let span = self.input.scan_value()?;
                self.state.value(key, &self.input.buf, &span)
            }
            Some(_) => Err(self.syntax("expected value")),
        }
    }

    /// Walks a list (`pos` is at its `[`): `element` reads each element (`pos` at its first byte,
    /// with its index), `context` names it in messages.
    fn list(
        &mut self,
        context: impl Fn(usize) -> Context,
        mut element: impl FnMut(&mut Self, usize) -> Result<(), Problem>,
    ) -> Result<(), Problem> {
        self.input.pos += 1;
        let mut index = 0usize;
        loop {
            self.state.context = context(index);
            match self.input.peek()? {
                None => return Err(self.syntax("EOF while parsing a list")),
                Some(b']') => {
                    self.input.pos += 1;
                    return Ok(());
                }
                Some(_) if index == 0 => {}
                Some(b',') => {
                    self.input.pos += 1;
                    match self.input.peek()? {
                        Some(b']') => return Err(self.syntax("trailing comma")),
                        Some(_) => {}
                        None => return Err(self.syntax("EOF while parsing a value")),
                    }
                }
                Some(_) => return Err(self.syntax("expected `,` or `]`")),
            }
            element(self, index)?;
            index += 1;
        }
    }

    /// The span of the list element at `pos`.
    fn element(&mut self) -> Result<Span, Problem> {
        if !starts_value(self.input.buf[self.input.pos]) {
            return Err(self.syntax("expected value"));
        }
        self.input.scan_value()
    }

    /// One element of `managedDevices` (`pos` is at its first byte): its bytes go in the batch.
    fn device(&mut self, index: usize) -> Result<(), Problem> {
        let first = self.input.buf[self.input.pos];
        let span = self.element()?;
        if first != b'{' || span.ending != Ending::Complete {
            // Not an object, or not valid JSON: the parser says what is wrong with it, here.
            let context = self.state.context;
            self.input.parse(&span, context, |json| json.deserialize_map(DeviceVisitor))?;
            let what = "expected a managed device (a JSON object)".to_owned();
            return Err(Problem::Json { at: Some(span.end_pos), context, category: Category::Data, what });
        }
        self.handoff.device(&self.input.buf, span, index)
    }
}
