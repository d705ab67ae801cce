//! Flink's ways of writing one value: "32kb", "32 kb" and "32768" are one segment size,
//! "PT0.1S", "100 ms" and "100" one buffer timeout. Values are compared in a canonical
//! form and shown in a short one.

use super::catalogue::Kind;

/// The canonical form of `raw` for its kind: bytes, milliseconds, "true"/"false", a
/// number, or lower-case text. `None` when it does not parse (then it is compared as text).
pub(crate) fn canonical(kind: Kind, raw: &str) -> Option<String> {
    let raw = raw.trim().trim_matches(|c| c == '"' || c == '\'');
    match kind {
        Kind::Memory => bytes(raw).map(|b| b.to_string()),
        Kind::Duration => millis(raw).map(format_num),
        Kind::Bool => match raw.to_ascii_lowercase().as_str() {
            "true" => Some("true".into()),
            "false" => Some("false".into()),
            _ => None,
        },
        Kind::Int | Kind::Float => raw.parse::<f64>().ok().map(format_num),
        Kind::Text => Some(raw.to_ascii_lowercase()),
    }
}

/// Whether two written values are the same value.
pub(crate) fn same(kind: Kind, a: &str, b: &str) -> bool {
    match (canonical(kind, a), canonical(kind, b)) {
        (Some(x), Some(y)) => x == y,
        _ => a.trim().eq_ignore_ascii_case(b.trim()),
    }
}

/// A default as the options class prints it, made short: "PT0.1S" → "100 ms",
/// "9223372036854775807 bytes" → "unbounded", "" → "(none)".
pub(crate) fn show_default(kind: Kind, raw: &str) -> String {
    if raw.is_empty() {
        return "(none)".into();
    }
    match kind {
        Kind::Memory => match bytes(raw) {
            Some(b) if b >= i64::MAX as u64 => "unbounded".into(),
            Some(b) => show_bytes(b),
            None => raw.into(),
        },
        Kind::Duration => millis(raw).map_or_else(|| raw.into(), show_millis),
        _ => raw.into(),
    }
}

/// Bytes in Flink's binary units, shortest exact form ("32 kb", "64 mb", "1000 bytes").
pub(crate) fn show_bytes(b: u64) -> String {
    for (unit, size) in [("tb", 1u64 << 40), ("gb", 1 << 30), ("mb", 1 << 20), ("kb", 1 << 10)] {
        if b >= size && b.is_multiple_of(size) {
            return format!("{} {unit}", b / size);
        }
    }
    if b >= 1 << 20 { format!("{:.1} mb", b as f64 / (1u64 << 20) as f64) } else { format!("{b} bytes") }
}

fn show_millis(ms: f64) -> String {
    if ms >= 1000.0 && ms % 1000.0 == 0.0 { format!("{} s", ms / 1000.0) } else { format!("{} ms", format_num(ms)) }
}

fn format_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 { format!("{}", x as i64) } else { format!("{x}") }
}

/// Flink's MemorySize: a number with an optional unit (b, k/kb, m/mb, g/gb, t/tb, and the
/// long names), binary multiples; a plain number is bytes.
pub(crate) fn bytes(raw: &str) -> Option<u64> {
    let s = raw.trim().to_ascii_lowercase();
    if s == "long.max" {
        return Some(i64::MAX as u64);
    }
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().ok()?;
    let shift = match unit.trim() {
        "" | "b" | "bytes" => 0,
        "k" | "kb" | "kibibytes" => 10,
        "m" | "mb" | "mebibytes" => 20,
        "g" | "gb" | "gibibytes" => 30,
        "t" | "tb" | "tebibytes" => 40,
        _ => return None,
    };
    n.checked_mul(1u64 << shift)
}

/// Flink's Duration: ISO-8601 ("PT0.1S", as the options classes print defaults) or a
/// number with a unit (ms, s, min, h, d and their long names); a plain number is ms.
pub(crate) fn millis(raw: &str) -> Option<f64> {
    let s = raw.trim().to_ascii_lowercase();
    if let Some(iso) = s.strip_prefix("pt") {
        let mut total = 0.0;
        let mut num = String::new();
        for c in iso.chars() {
            match c {
                '0'..='9' | '.' => num.push(c),
                'h' | 'm' | 's' => {
                    let v: f64 = num.parse().ok()?;
                    total += v * match c {
                        'h' => 3_600_000.0,
                        'm' => 60_000.0,
                        _ => 1000.0,
                    };
                    num.clear();
                }
                _ => return None,
            }
        }
        return num.is_empty().then_some((total * 1000.0).round() / 1000.0);
    }
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let scale = match unit.trim() {
        "" | "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 1.0,
        "s" | "sec" | "secs" | "second" | "seconds" => 1000.0,
        "min" | "m" | "minute" | "minutes" => 60_000.0,
        "h" | "hour" | "hours" => 3_600_000.0,
        "d" | "day" | "days" => 86_400_000.0,
        "us" | "µs" | "micro" | "micros" | "microsecond" | "microseconds" => 0.001,
        _ => return None,
    };
    Some(n * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes_in_flinks_spellings() {
        assert_eq!(bytes("32kb"), Some(32768));
        assert_eq!(bytes("32 kb"), Some(32768));
        assert_eq!(bytes("32768"), Some(32768));
        assert_eq!(bytes("64m"), Some(64 << 20));
        assert_eq!(bytes("1 gibibytes"), Some(1 << 30));
        assert_eq!(bytes("9223372036854775807 bytes"), Some(i64::MAX as u64));
        assert_eq!(bytes("lots"), None);
        assert!(same(Kind::Memory, "32kb", "32768"));
        assert!(!same(Kind::Memory, "32kb", "64kb"));
    }

    #[test]
    fn durations_in_flinks_spellings() {
        assert_eq!(millis("PT0.1S"), Some(100.0));
        assert_eq!(millis("PT1M30S"), Some(90_000.0));
        assert_eq!(millis("100 ms"), Some(100.0));
        assert_eq!(millis("20ms"), Some(20.0));
        assert_eq!(millis("1s"), Some(1000.0));
        assert_eq!(millis("100"), Some(100.0));
        assert!(same(Kind::Duration, "PT0.2S", "200ms"));
        assert_eq!(millis("soon"), None);
    }

    #[test]
    fn defaults_shown_short() {
        assert_eq!(show_default(Kind::Duration, "PT0.1S"), "100 ms");
        assert_eq!(show_default(Kind::Duration, "PT30S"), "30 s");
        assert_eq!(show_default(Kind::Memory, "9223372036854775807 bytes"), "unbounded");
        assert_eq!(show_default(Kind::Memory, "32 kb"), "32 kb");
        assert_eq!(show_default(Kind::Int, ""), "(none)");
        assert!(same(Kind::Bool, "TRUE", "true"));
        assert!(same(Kind::Text, "EPOLL", "epoll"));
        assert!(same(Kind::Float, "0.15", "0.150"));
    }
}
