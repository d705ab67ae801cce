//! Value types of the config file that check themselves while being parsed, so that a bad
//! value fails with the TOML line it sits on.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// A duration written as "1s", "500ms", "5m".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dur(pub Duration);

/// Written as Deserialize reads it ("10s", "5m", "1h 30m").
impl serde::Serialize for Dur {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(self.0).to_string())
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_duration(&s).map(Dur).map_err(serde::de::Error::custom)
    }
}

pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim())
        .map_err(|e| format!("invalid duration {s:?}: {e} (write e.g. \"500ms\", \"1s\", \"5m\")"))?;
    if d.is_zero() {
        return Err(format!("invalid duration {s:?}: must be greater than zero"));
    }
    Ok(d)
}

/// A TaskManager id pattern, compiled when the config is read.
#[derive(Clone)]
pub struct TmPattern(pub(crate) regex::Regex);

impl TmPattern {
    pub fn new(s: &str) -> Result<Self, String> {
        regex::Regex::new(s).map(TmPattern).map_err(|e| format!("invalid TaskManager regex {s:?}: {e}"))
    }
    pub(crate) fn is_match(&self, id: &str) -> bool {
        self.0.is_match(id)
    }
}

impl PartialEq for TmPattern {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

impl fmt::Debug for TmPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0.as_str())
    }
}

impl<'de> Deserialize<'de> for TmPattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        TmPattern::new(&s).map_err(serde::de::Error::custom)
    }
}

/// The base URL of a Flink REST endpoint (JobManager, or a proxy in front of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestUrl(pub(crate) String);

impl RestUrl {
    pub fn new(s: &str) -> Result<Self, String> {
        let raw = s;
        // Messages quote the URL without its userinfo (a password must not be echoed).
        let shown = crate::sanitize::redact_userinfo(s);
        let s = shown.as_str();
        let url = url::Url::parse(raw.trim()).map_err(|e| format!("invalid URL {s:?}: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("invalid URL {s:?}: the scheme must be http or https"));
        }
        if url.host_str().is_none() {
            return Err(format!("invalid URL {s:?}: no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(format!(
                "invalid URL {s:?}: credentials do not belong in the URL; use [group.auth] with a password file or env var"
            ));
        }
        Ok(RestUrl(url.as_str().trim_end_matches('/').to_string()))
    }
}

impl fmt::Display for RestUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for RestUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        RestUrl::new(&s).map_err(serde::de::Error::custom)
    }
}

/// A byte size written as a number of bytes or "16MiB", "512KiB".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteSize(pub usize);

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(u64),
            S(String),
        }
        match Raw::deserialize(d)? {
            Raw::N(n) => Ok(ByteSize(n as usize)),
            Raw::S(s) => parse_bytes(&s).map(ByteSize).map_err(serde::de::Error::custom),
        }
    }
}

pub fn parse_bytes(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: usize = num.parse().map_err(|_| format!("invalid size {s:?} (write e.g. \"16MiB\")"))?;
    let mult = match unit.trim() {
        "" | "B" => 1,
        "KiB" | "K" | "KB" => 1 << 10,
        "MiB" | "M" | "MB" => 1 << 20,
        "GiB" | "G" | "GB" => 1 << 30,
        other => return Err(format!("invalid size {s:?}: unknown unit {other:?} (B, KiB, MiB, GiB)")),
    };
    if n == 0 {
        return Err(format!("invalid size {s:?}: must be greater than zero"));
    }
    Ok(n * mult)
}

/// A PromQL selector as written in the config: `{...}` with label matchers (may be `{}`).
/// Checked when the config is loaded; the Prometheus-server source builds its queries on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Selector(String);

impl Selector {
    pub(crate) fn new(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let inner = t
            .strip_prefix('{')
            .and_then(|r| r.strip_suffix('}'))
            .ok_or_else(|| format!("a PromQL selector is written {{label=\"value\", ...}}: {s:?}"))?;
        if inner.contains(['{', '}']) {
            return Err(format!("a selector holds label matchers only: {s:?}"));
        }
        Ok(Selector(inner.trim().trim_end_matches(',').to_string()))
    }

    /// `metric{matchers[, extra]}`.
    pub(crate) fn on(&self, metric: &str, extra: &str) -> String {
        let parts: Vec<&str> = [self.0.as_str(), extra].into_iter().filter(|p| !p.is_empty()).collect();
        format!("{metric}{{{}}}", parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1s").unwrap(), Duration::from_secs(1));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn urls() {
        assert_eq!(RestUrl::new("http://127.0.0.1:8081/").unwrap().0, "http://127.0.0.1:8081");
        assert_eq!(RestUrl::new("https://proxy/flink/").unwrap().0, "https://proxy/flink");
        assert!(RestUrl::new("ftp://x").is_err());
        assert!(RestUrl::new("http://user:pw@x").is_err());
        assert!(RestUrl::new("not a url").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_bytes("16MiB").unwrap(), 16 << 20);
        assert_eq!(parse_bytes("1024").unwrap(), 1024);
        assert!(parse_bytes("12 parsecs").is_err());
    }
}
