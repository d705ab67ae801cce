//! A zero-copy parser for the Prometheus text exposition format 0.0.4 and OpenMetrics text,
//! with all the format allows (blanks or tabs between a name and `{` and inside a label set,
//! a value right after `}` as in `m{a="1"}-Inf`, Prometheus 3's quoted UTF-8 metric and
//! label names `{"name.x", "a.b"="v"}`), and exact with what Flink's PrometheusReporter
//! writes: label sets with a trailing comma,
//! Java number forms (`8.039E10`, `NaN`, `+Inf`), summaries with `quantile`, CRLF line ends,
//! timestamps, and escaped label values that contain `=`, `,`, `{`, `}`, `"`, `\` or newlines.
//!
//! Names and label values borrow from the input; a label value is unescaped only when it has
//! escapes. Garbage, an HTML page, or a body without samples is an error, never "0".

use std::borrow::Cow;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample<'a> {
    pub name: &'a str,
    /// The raw text between `{` and `}` (escapes intact); iterate with `labels()`.
    raw_labels: &'a str,
    pub value: f64,
    pub(crate) timestamp_ms: Option<i64>,
}

impl<'a> Sample<'a> {
    pub fn labels(&self) -> Labels<'a> {
        Labels { rest: self.raw_labels }
    }

    /// The value of one label, unescaped.
    pub fn label(&self, name: &str) -> Option<Cow<'a, str>> {
        self.labels().find(|(k, _)| *k == name).map(|(_, v)| v)
    }
}

/// Iterates `(name, value)` pairs of a label set that the parser already validated.
#[derive(Debug, Clone)]
pub struct Labels<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Labels<'a> {
    type Item = (&'a str, Cow<'a, str>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let s = self.rest.trim_start_matches([',', ' ', '\t']);
            if s.is_empty() {
                return None;
            }
            let (name, after) = match s.strip_prefix('"') {
                // A quoted name (Prometheus 3): a label's, or the metric's own.
                Some(q) => {
                    let end = closing_quote(q)?;
                    (&q[..end], q[end + 1..].trim_start_matches([' ', '\t']))
                }
                None => {
                    let eq = s.find('=')?;
                    (s[..eq].trim_matches([' ', '\t']), &s[eq..])
                }
            };
            let Some(value) = after.strip_prefix('=') else {
                // The quoted metric name inside the set: not a label.
                self.rest = after;
                continue;
            };
            let body = value.trim_start_matches([' ', '\t']).strip_prefix('"')?;
            let end = closing_quote(body)?;
            self.rest = &body[end + 1..];
            return Some((name, unescape(&body[..end])));
        }
    }
}

/// Index of the closing `"` of a quoted value whose opening quote was already taken.
fn closing_quote(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

fn unescape(raw: &str) -> Cow<'_, str> {
    if !raw.contains('\\') {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('\\') => out.push('\\'),
            Some('"') => out.push('"'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParseError {
    #[error("line {line}: {why}: {text:?}")]
    Line { line: usize, why: &'static str, text: String },
    #[error("no samples in the body (an empty or non-Prometheus answer)")]
    NoSamples,
    #[error("an HTML page, not Prometheus text")]
    Html,
}

fn err(line: usize, why: &'static str, text: &str) -> ParseError {
    ParseError::Line { line, why, text: crate::sanitize::snippet(text, 80) }
}

/// The samples of an exposition, one per sample line, without allocating: names and
/// label sets borrow from `text`.
pub fn samples(text: &str) -> Samples<'_> {
    Samples { lines: text.split('\n').enumerate(), html: text.trim_start().starts_with('<') }
}

pub struct Samples<'a> {
    lines: std::iter::Enumerate<std::str::Split<'a, char>>,
    html: bool,
}

impl<'a> Iterator for Samples<'a> {
    type Item = Result<Sample<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.html {
            // One error for the whole page, then nothing.
            self.html = false;
            self.lines.by_ref().for_each(drop);
            return Some(Err(ParseError::Html));
        }
        for (i, line) in self.lines.by_ref() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            return Some(parse_line(trimmed).map_err(|why| err(i + 1, why, line)));
        }
        None
    }
}

/// Parses a whole exposition: every sample, or the first error. No samples is an error.
pub fn parse(text: &str) -> Result<Vec<Sample<'_>>, ParseError> {
    let mut out = Vec::with_capacity((text.len() / 128).min(1 << 20));
    for s in samples(text) {
        out.push(s?);
    }
    if out.is_empty() {
        return Err(ParseError::NoSamples);
    }
    Ok(out)
}

/// An exposition whose malformed lines were skipped: each costs its line, not the scrape.
#[derive(Debug)]
pub(crate) struct Parsed<'a> {
    pub(crate) samples: Vec<Sample<'a>>,
    /// Lines that could not be parsed, and the first of their errors.
    pub(crate) malformed: usize,
    pub(crate) first_error: Option<ParseError>,
}

/// Parses every line that can be parsed. An HTML page, or a body where no line is a
/// sample, is still the scrape's error.
pub(crate) fn parse_lenient(text: &str) -> Result<Parsed<'_>, ParseError> {
    let mut samples = Vec::with_capacity((text.len() / 128).min(1 << 20));
    let (mut malformed, mut first_error) = (0, None);
    for s in self::samples(text) {
        match s {
            Ok(s) => samples.push(s),
            Err(ParseError::Html) => return Err(ParseError::Html),
            Err(e) => {
                malformed += 1;
                first_error.get_or_insert(e);
            }
        }
    }
    if samples.is_empty() {
        return Err(first_error.unwrap_or(ParseError::NoSamples));
    }
    Ok(Parsed { samples, malformed, first_error })
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn is_name_char(b: u8, first: bool) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b':' || (!first && b.is_ascii_digit())
}

fn parse_line(line: &str) -> Result<Sample<'_>, &'static str> {
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() && is_name_char(bytes[i], i == 0) {
        i += 1;
    }
    let mut name = &line[..i];
    let mut raw_labels = "";
    let mut rest = &line[i..];
    if let Some(after) = rest.trim_start_matches([' ', '\t']).strip_prefix('{') {
        let (end, quoted) = label_set_end(after)?;
        raw_labels = &after[..end];
        rest = &after[end + 1..];
        name = match (name.is_empty(), quoted) {
            (true, Some(q)) => q,
            (false, None) => name,
            (true, None) => return Err("no metric name"),
            (false, Some(_)) => return Err("two metric names"),
        };
        // After a label set the value may follow without a blank: `m{a="1"}-Inf`.
    } else if name.is_empty() {
        return Err("no metric name");
    } else if !rest.starts_with([' ', '\t']) {
        return Err("no space before the value");
    }
    let mut fields = rest.split_ascii_whitespace();
    let value = parse_value(fields.next().ok_or("no value")?)?;
    let timestamp_ms = match fields.next() {
        None => None,
        Some(t) => Some(parse_timestamp(t)?),
    };
    if fields.next().is_some() {
        return Err("text after the timestamp");
    }
    Ok(Sample { name, raw_labels, value, timestamp_ms })
}

/// Validates `name="value",...` up to the closing `}` and returns its index, with the
/// metric's quoted name when the set starts with one (`{"name.x", a="b"}`).
fn label_set_end(s: &str) -> Result<(usize, Option<&str>), &'static str> {
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut quoted_name = None;
    let mut first = true;
    loop {
        while i < bytes.len() && (is_blank(bytes[i]) || bytes[i] == b',') {
            i += 1;
        }
        if i >= bytes.len() {
            return Err("unterminated label set");
        }
        if bytes[i] == b'}' {
            return Ok((i, quoted_name));
        }
        if bytes[i] == b'"' {
            let close = closing_quote(&s[i + 1..]).ok_or("unterminated quoted name")?;
            let quoted = &s[i + 1..i + 1 + close];
            i += close + 2;
            while i < bytes.len() && is_blank(bytes[i]) {
                i += 1;
            }
            if i < bytes.len() && matches!(bytes[i], b',' | b'}') {
                // The metric's name: first in the set, borrowed as it is.
                if !first {
                    return Err("a quoted metric name after the labels");
                }
                if quoted.contains('\\') {
                    return Err("an escape in a quoted metric name");
                }
                quoted_name = Some(quoted);
                first = false;
                continue;
            }
        } else {
            let start = i;
            while i < bytes.len() && is_name_char(bytes[i], i == start) {
                i += 1;
            }
            if i == start {
                return Err("bad label name");
            }
            while i < bytes.len() && is_blank(bytes[i]) {
                i += 1;
            }
        }
        first = false;
        if i >= bytes.len() || bytes[i] != b'=' {
            return Err("label without '='");
        }
        i += 1;
        while i < bytes.len() && is_blank(bytes[i]) {
            i += 1;
        }
        if i >= bytes.len() || bytes[i] != b'"' {
            return Err("label value not quoted");
        }
        i += 1;
        let close = closing_quote(&s[i..]).ok_or("unterminated label value")?;
        i += close + 1;
        if i < bytes.len() && !matches!(bytes[i], b',' | b'}' | b' ' | b'\t') {
            return Err("junk after a label value");
        }
    }
}

fn parse_value(s: &str) -> Result<f64, &'static str> {
    match s {
        "NaN" | "nan" => Ok(f64::NAN),
        "+Inf" | "Inf" | "+inf" | "inf" => Ok(f64::INFINITY),
        "-Inf" | "-inf" => Ok(f64::NEG_INFINITY),
        _ => {
            // Rust's parser takes Java's "8.039E10"; refuse words it would also take ("infinity").
            if !s.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-')) {
                return Err("not a number");
            }
            s.parse::<f64>().map_err(|_| "not a number")
        }
    }
}

fn parse_timestamp(s: &str) -> Result<i64, &'static str> {
    // 0.0.4: integer ms; OpenMetrics: seconds with a fraction.
    if let Ok(ms) = s.parse::<i64>() {
        return Ok(ms);
    }
    let secs = parse_value(s).map_err(|_| "bad timestamp")?;
    if !secs.is_finite() {
        return Err("bad timestamp");
    }
    Ok((secs * 1000.0) as i64)
}

#[cfg(test)]
mod tests;
