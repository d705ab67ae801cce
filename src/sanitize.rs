//! Cleaning of strings that come from remote servers (job names, exception text, error
//! bodies) before they are drawn or logged: a job named "\x1b]0;pwned\x07" must not retitle
//! the operator's terminal, and bidi or zero-width characters must not disguise text.
//! The credentials flinkscope sends are registered here and never leave it in cleaned text:
//! a proxy that echoes the Authorization header in its error page must not put the token
//! on the screen, in the log or in the evidence.

use std::sync::RwLock;

/// Shorter values are not redacted: they would blank ordinary words.
const MIN_SECRET: usize = 4;

/// The secrets in use (tokens, passwords, their header encodings).
static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// What a secret becomes in cleaned text.
pub(crate) const REDACTED: &str = "[redacted]";

/// Registers a credential that is in use: from now on `clean` (and so every remote string,
/// error and snippet) replaces it with `[redacted]`.
pub(crate) fn register_secret(secret: &str) {
    if secret.chars().count() < MIN_SECRET {
        return;
    }
    if let Ok(mut s) = SECRETS.write()
        && !s.iter().any(|x| x == secret)
    {
        s.push(secret.to_string());
        // Longest first: a secret that contains another is replaced whole.
        s.sort_by_key(|x| std::cmp::Reverse(x.len()));
    }
}

/// Replaces every registered secret in `text`.
pub(crate) fn redact_secrets(text: &str) -> String {
    let Ok(secrets) = SECRETS.read() else { return text.to_string() };
    let mut out = text.to_string();
    for s in secrets.iter() {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), REDACTED);
        }
    }
    out
}

/// Removes escape sequences, control characters, bidi controls and zero-width characters.
/// Line breaks and tabs become single spaces so one value stays on one line.
pub(crate) fn clean(input: &str) -> String {
    let out = strip(input);
    // After stripping: a secret split by an invisible character is whole again here.
    if SECRETS.read().is_ok_and(|s| s.is_empty()) { out } else { redact_secrets(&out) }
}

fn strip(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' => skip_osc(&mut chars),
            '\n' | '\r' | '\t' | '\u{2028}' | '\u{2029}' => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            c if is_invisible(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// Hides the userinfo of every URL in `text` (`http://user:secret@host` becomes
/// `http://***@host`): error messages quote config lines and URLs, and a password must not
/// reach the screen, the log or a file through them.
pub fn redact_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        // The authority ends at the first of / ? # or a blank/quote; userinfo is before its last '@'.
        let end = tail.find(['/', '?', '#', '"', '\'', ' ', '\n']).unwrap_or(tail.len());
        match tail[..end].rfind('@') {
            Some(at) => {
                out.push_str("***");
                rest = &tail[at..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

/// The first `max` characters of cleaned text, for error messages.
pub(crate) fn snippet(input: &str, max: usize) -> String {
    let cleaned = clean(input);
    let mut s: String = cleaned.chars().take(max).collect();
    if cleaned.chars().count() > max {
        s.push('…');
    }
    s
}

fn is_invisible(c: char) -> bool {
    c.is_control() // C0, DEL, C1
        || matches!(c,
            '\u{200b}'..='\u{200f}' // zero-width space/joiners, LRM, RLM
            | '\u{202a}'..='\u{202e}' // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}' // bidi isolates
            | '\u{061c}' // Arabic letter mark
            | '\u{feff}' // zero-width no-break space / BOM
            | '\u{00ad}' // soft hyphen
            | '\u{180e}' // Mongolian vowel separator
            | '\u{206a}'..='\u{206f}' // deprecated format controls
            | '\u{fff9}'..='\u{fffb}' // interlinear annotation
            | '\u{e0000}'..='\u{e007f}' // tag characters (invisible text)
        )
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

fn skip_escape(chars: &mut Chars<'_>) {
    match chars.next() {
        Some('[') => skip_csi(chars),
        Some(']') | Some('P') | Some('X') | Some('^') | Some('_') => skip_osc(chars),
        // Two-character escapes (ESC c, ESC 7, ...): the one character is dropped.
        _ => {}
    }
}

/// CSI: parameter and intermediate bytes, then one final byte in '@'..='~'.
fn skip_csi(chars: &mut Chars<'_>) {
    for c in chars.by_ref() {
        if ('@'..='~').contains(&c) {
            break;
        }
    }
}

/// OSC/DCS/...: up to BEL or ST (ESC \).
fn skip_osc(chars: &mut Chars<'_>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => break,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                break;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn cleans_untrusted_text() {
        let cases = [
            ("plain job", "plain job"),
            ("red\x1b[31mjob\x1b[0m", "redjob"),
            ("title\x1b]0;pwned\x07 set", "title set"),
            ("osc st\x1b]8;;http://x\x1b\\link", "osc stlink"),
            ("line1\nline2\r\n\tx", "line1 line2 x"),
            ("bell\x07 nul\0 del\x7f", "bell nul del"),
            ("bidi \u{202e}gnp.exe\u{202c}", "bidi gnp.exe"),
            ("zero\u{200b}width\u{feff}", "zerowidth"),
            ("c1 csi\u{9b}2Jok", "c1 csiok"),
            ("unicode ümlaut 日本", "unicode ümlaut 日本"),
            ("line\u{2028}sep\u{2029}para", "line sep para"),
            ("soft\u{ad}hy\u{180e}phen", "softhyphen"),
            ("fmt\u{206a}\u{206f}ctl\u{fff9}\u{fffb}x", "fmtctlx"),
            ("tag\u{e0041}\u{e0042}\u{e007f}s", "tags"),
        ];
        for (input, want) in cases {
            assert_eq!(clean(input), want, "input {input:?}");
        }
    }

    #[test]
    fn registered_secrets_never_survive_cleaning() {
        super::register_secret("planted-unit-s3cret");
        super::register_secret("abc"); // too short to redact: ordinary words stay
        assert_eq!(clean("401: bearer planted-unit-s3cret denied"), "401: bearer [redacted] denied");
        // An invisible character inside does not smuggle it through.
        assert_eq!(clean("planted-unit\u{200b}-s3cret"), "[redacted]");
        assert_eq!(clean("abc abcdef"), "abc abcdef");
    }

    #[test]
    fn userinfo_is_redacted() {
        use super::redact_userinfo as r;
        assert_eq!(r("flink = \"http://admin:pw@127.0.0.1:9/x\""), "flink = \"http://***@127.0.0.1:9/x\"");
        assert_eq!(r("a https://u@h b http://h2:1 c"), "a https://***@h b http://h2:1 c");
        assert_eq!(r("no url here"), "no url here");
        assert_eq!(r("http://x:p@q@h"), "http://***@h");
    }

    #[test]
    fn unterminated_sequences_do_not_panic() {
        assert_eq!(clean("x\x1b["), "x");
        assert_eq!(clean("x\x1b]0;never ends"), "x");
        assert_eq!(clean("\x1b"), "");
    }
}
