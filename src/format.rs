//! Number formatting for the panels and the text reports: short, unit-aware, "—" for no data.

use crate::model::Unit;

pub(crate) const NO_DATA: &str = "—";

pub(crate) fn value(unit: Unit, v: Option<f64>) -> String {
    let Some(v) = v else { return NO_DATA.to_string() };
    match unit {
        Unit::PerSecond => si(v, ""),
        Unit::BytesPerSecond => bytes(v) + "/s",
        Unit::Bytes => bytes(v),
        Unit::Ratio => format!("{:.0}%", v * 100.0),
        Unit::Percent => format!("{v:.0}%"),
        Unit::Millis => millis(v),
        Unit::MillisPerSecond => format!("{v:.0}ms/s"),
        Unit::Cores => format!("{v:.2}"),
        Unit::Count | Unit::Segments => si(v, ""),
        Unit::Level => match v.round() as i64 {
            0 => "ok".into(),
            1 => "low".into(),
            2 => "HIGH".into(),
            _ => NO_DATA.into(),
        },
    }
}

pub(crate) fn change(pct: Option<f64>) -> String {
    match pct {
        None => NO_DATA.to_string(),
        Some(p) if p.abs() >= 1000.0 => format!("{:+.0}x", p / 100.0 + 1.0),
        Some(p) if p.abs() >= 10.0 => format!("{p:+.0}%"),
        Some(p) => format!("{p:+.1}%"),
    }
}

fn si(v: f64, suffix: &str) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.1}G{suffix}", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M{suffix}", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k{suffix}", v / 1e3)
    } else if a >= 100.0 || v.fract() == 0.0 {
        format!("{v:.0}{suffix}")
    } else {
        format!("{v:.1}{suffix}")
    }
}

pub(crate) fn bytes(v: f64) -> String {
    let a = v.abs();
    let (scaled, unit) = if a >= (1u64 << 30) as f64 {
        (v / (1u64 << 30) as f64, "GiB")
    } else if a >= (1u64 << 20) as f64 {
        (v / (1u64 << 20) as f64, "MiB")
    } else if a >= 1024.0 {
        (v / 1024.0, "KiB")
    } else {
        return format!("{v:.0}B");
    };
    // Narrow columns: "82KiB/s" fits where "82.0KiB/s" would not.
    if scaled.abs() >= 10.0 { format!("{scaled:.0}{unit}") } else { format!("{scaled:.1}{unit}") }
}

fn millis(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.1}s", v / 1000.0)
    } else if v >= 10.0 {
        format!("{v:.0}ms")
    } else {
        format!("{v:.1}ms")
    }
}

pub(crate) fn duration(d: std::time::Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 && s.is_multiple_of(3600) {
        format!("{}h", s / 3600)
    } else if s >= 60 && s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

/// A vertex backpressure level as Flink names it.
pub(crate) fn backpressure_level(level: u8) -> &'static str {
    match level {
        0 => "ok",
        1 => "low",
        _ => "high",
    }
}

/// A span of milliseconds in its two largest units: `45s`, `12m05s`, `3h07m`, `2d04h`.
pub(crate) fn age(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        3600..86_400 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{:02}h", s / 86_400, s % 86_400 / 3600),
    }
}

/// A wall-clock time as `2026-12-02 14:23:05Z` (UTC, as Flink's logs and the alerts say).
pub(crate) fn clock_time(t: std::time::SystemTime) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]Z");
    time::OffsetDateTime::from(t).format(&f).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_in_two_units() {
        assert_eq!(age(45_900), "45s");
        assert_eq!(age(725_000), "12m05s");
        assert_eq!(age(3 * 3_600_000 + 7 * 60_000), "3h07m");
        assert_eq!(age(2 * 86_400_000 + 4 * 3_600_000), "2d04h");
        assert_eq!(backpressure_level(2), "high");
    }

    #[test]
    fn formats() {
        let cases = [
            (Unit::PerSecond, Some(4012.0), "4012"),
            (Unit::PerSecond, Some(40_120.0), "40.1k"),
            (Unit::PerSecond, Some(0.25), "0.2"),
            (Unit::BytesPerSecond, Some(2048.0), "2.0KiB/s"),
            (Unit::Bytes, Some(78_000_000.0), "74MiB"),
            (Unit::Ratio, Some(0.254), "25%"),
            (Unit::Millis, Some(608.0), "608ms"),
            (Unit::Millis, Some(1.25), "1.2ms"),
            (Unit::MillisPerSecond, Some(978.4), "978ms/s"),
            (Unit::Cores, Some(0.1234), "0.12"),
            (Unit::Level, Some(2.0), "HIGH"),
            (Unit::Millis, None, "—"),
        ];
        for (unit, v, want) in cases {
            assert_eq!(value(unit, v), want, "{unit:?} {v:?}");
        }
        assert_eq!(change(Some(-15.04)), "-15%");
        assert_eq!(change(Some(2.345)), "+2.3%");
        assert_eq!(change(None), "—");
        assert_eq!(duration(std::time::Duration::from_secs(300)), "5m");
        assert_eq!(duration(std::time::Duration::from_secs(95)), "1m35s");
    }
}
