//! The replay's clock: where in the recording it is, how fast it moves, paused or not.

use std::time::{Duration, Instant};

/// One seek of `←`/`→`.
pub(crate) const SEEK: Duration = Duration::from_secs(10);

/// How fast a replay runs against the wall clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// This many recorded seconds per second.
    Times(f64),
    /// As fast as the records can be judged (drawing between bursts).
    Max,
}

/// The speeds `[` and `]` step through.
const STEPS: [Speed; 8] = [
    Speed::Times(0.5),
    Speed::Times(1.0),
    Speed::Times(2.0),
    Speed::Times(5.0),
    Speed::Times(10.0),
    Speed::Times(30.0),
    Speed::Times(60.0),
    Speed::Max,
];

impl Speed {
    /// `1x`, `10x`, `0.5x` or `max`.
    pub fn parse(s: &str) -> Result<Speed, String> {
        let t = s.trim().to_ascii_lowercase();
        if t == "max" {
            return Ok(Speed::Max);
        }
        let n: f64 =
            t.strip_suffix('x').unwrap_or(&t).parse().map_err(|_| format!("speed {s:?}: write 1x, 10x or max"))?;
        if n.is_finite() && n > 0.0 && n <= 10_000.0 {
            Ok(Speed::Times(n))
        } else {
            Err(format!("speed {s:?}: from 0.01x to 10000x, or max"))
        }
    }

    pub(crate) fn label(self) -> String {
        match self {
            Speed::Times(n) => format!("{n}x"),
            Speed::Max => "max".into(),
        }
    }

    fn index(self) -> usize {
        match self {
            Speed::Max => STEPS.len() - 1,
            Speed::Times(n) => {
                STEPS.iter().position(|s| matches!(s, Speed::Times(m) if *m >= n)).unwrap_or(STEPS.len() - 1)
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Clock {
    /// When the clock was last set, on the wall clock ...
    anchor: Instant,
    /// ... and where in the recording it was then (ns from its start).
    at_ns: i64,
    pub(crate) speed: Speed,
    pub(crate) paused: bool,
}

impl Clock {
    pub(crate) fn new(now: Instant, at_ns: i64, speed: Speed) -> Clock {
        Clock { anchor: now, at_ns, speed, paused: false }
    }

    /// Where in the recording the clock is at `now` (at `max`, everything is due).
    pub(crate) fn position(&self, now: Instant) -> i64 {
        match (self.paused, self.speed) {
            (true, _) => self.at_ns,
            (false, Speed::Max) => i64::MAX,
            (false, Speed::Times(n)) => {
                let moved = now.saturating_duration_since(self.anchor).as_nanos() as f64 * n;
                self.at_ns.saturating_add(moved as i64)
            }
        }
    }

    /// How long from `now` until the clock reaches `ns`.
    pub(crate) fn until(&self, now: Instant, ns: i64) -> Duration {
        match (self.paused, self.speed) {
            (true, _) => Duration::MAX,
            (false, Speed::Max) => Duration::ZERO,
            (false, Speed::Times(n)) => {
                let left = ns.saturating_sub(self.position(now)).max(0) as f64 / n;
                Duration::from_nanos(left as u64)
            }
        }
    }

    /// Sets the clock at `ns` (a seek, the end of the data), keeping speed and pause.
    pub(crate) fn hold(&mut self, now: Instant, ns: i64) {
        self.anchor = now;
        self.at_ns = ns;
    }

    fn settle(&mut self, now: Instant) {
        if self.speed != Speed::Max || self.paused {
            let p = self.position(now);
            self.hold(now, p);
        }
    }

    pub(crate) fn toggle_pause(&mut self, now: Instant) {
        self.settle(now);
        self.paused = !self.paused;
    }

    pub(crate) fn seek(&mut self, now: Instant, by: Duration) {
        self.settle(now);
        if self.speed != Speed::Max {
            self.at_ns = self.at_ns.saturating_add(i64::try_from(by.as_nanos()).unwrap_or(i64::MAX));
        }
    }

    pub(crate) fn faster(&mut self, now: Instant) {
        self.settle(now);
        self.speed = STEPS[(self.speed.index() + 1).min(STEPS.len() - 1)];
    }

    pub(crate) fn slower(&mut self, now: Instant) {
        self.settle(now);
        self.speed = STEPS[self.speed.index().saturating_sub(1)];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_moves_at_its_speed_and_stops_when_paused() {
        let t0 = Instant::now();
        let s = |secs: u64| t0 + Duration::from_secs(secs);
        let mut c = Clock::new(t0, 0, Speed::Times(10.0));
        assert_eq!(c.position(s(2)), 20_000_000_000);
        assert_eq!(c.until(s(2), 30_000_000_000), Duration::from_secs(1));
        c.toggle_pause(s(2));
        assert_eq!(c.position(s(100)), 20_000_000_000);
        c.seek(s(100), SEEK);
        assert_eq!(c.position(s(200)), 30_000_000_000);
        c.toggle_pause(s(200));
        c.slower(s(200));
        assert_eq!(c.speed, Speed::Times(5.0));
        assert_eq!(c.position(s(201)), 35_000_000_000);
        for _ in 0..10 {
            c.faster(s(201));
        }
        assert_eq!(c.speed, Speed::Max);
        assert_eq!(c.position(s(202)), i64::MAX);
    }

    #[test]
    fn speeds_parse() {
        assert_eq!(Speed::parse("1x"), Ok(Speed::Times(1.0)));
        assert_eq!(Speed::parse("10X"), Ok(Speed::Times(10.0)));
        assert_eq!(Speed::parse("max"), Ok(Speed::Max));
        assert!(Speed::parse("fast").is_err());
        assert!(Speed::parse("0x").is_err());
        assert!(Speed::parse("-1x").is_err());
    }
}
