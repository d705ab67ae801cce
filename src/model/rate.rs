//! Rates from cumulative counters (CPU time, GC time), with resets handled.

/// Turns successive readings of a cumulative counter into a per-second rate.
///
/// A rate is only formed between two readings of the same `epoch` (the same set of
/// TaskManagers): when a TaskManager joins or leaves, the group's summed counter jumps
/// for reasons that are not work done, so that interval is skipped rather than guessed.
/// A counter that goes down (a restarted JVM) is a reset: skipped too.
#[derive(Debug, Default, Clone)]
pub(crate) struct RateTracker {
    last: Option<(f64, f64, u64)>,
}

impl RateTracker {
    pub(crate) fn update(&mut self, t: f64, value: f64, epoch: u64) -> Option<f64> {
        let previous = self.last.replace((t, value, epoch));
        let (t0, v0, e0) = previous?;
        let dt = t - t0;
        if e0 != epoch || value < v0 || dt <= 0.0 || !value.is_finite() {
            return None;
        }
        Some((value - v0) / dt)
    }

    pub(crate) fn reset(&mut self) {
        self.last = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_table() {
        // (t, value, epoch, expected rate)
        let cases: &[(f64, f64, u64, Option<f64>)] = &[
            (0.0, 100.0, 1, None),        // first reading: no rate yet
            (2.0, 300.0, 1, Some(100.0)), // 200 over 2 s
            (4.0, 50.0, 1, None),         // counter went down: reset
            (6.0, 150.0, 1, Some(50.0)),  // rates resume from the reset value
            (8.0, 900.0, 2, None),        // TaskManager set changed
            (8.0, 950.0, 2, None),        // no time passed
            (9.0, 960.0, 2, Some(10.0)),
        ];
        let mut r = RateTracker::default();
        for (i, (t, v, e, want)) in cases.iter().enumerate() {
            assert_eq!(r.update(*t, *v, *e), *want, "case {i}");
        }
    }
}
