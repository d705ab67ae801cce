//! Samples for the statistics: non-overlapping blocks.
//!
//! Flink's `*PerSecond` meters and busy/backpressure timers are smoothed over tens of
//! seconds, so consecutive readings are not independent and p-values over them would be
//! overconfident. A block sample is instead the rate of a counter over one block (for
//! throughput, busy/idle/backpressured time, CPU and GC time), or the mean of the gauge
//! readings that fell in one block (pool usage, latency markers, memory). Blocks are at
//! least one independent interval long (a metrics refresh, a `rate()` window) and never
//! overlap.
//!
//! Readings arrive on a poll tick, so their spacing jitters by a fraction of the poll
//! interval: a block that had to be a full `block` long would close one reading late about
//! half the time and a window would hold fewer blocks than `window / block`. A block
//! therefore closes at the first reading at least `block - slack` after its start, with
//! `slack` half the spacing of the readings (see `BlockLength`); its rate is still the
//! counter's increase over the exact time between the two readings.

/// When a block closes: `length` seconds after its first reading, less `slack`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct BlockLength {
    pub(crate) length: f64,
    pub(crate) slack: f64,
}

impl BlockLength {
    /// `block` long, for readings `cadence` seconds apart (half a cadence of slack, never
    /// more than half the block).
    pub(crate) fn new(block: f64, cadence: f64) -> Self {
        let length = block.max(cadence);
        BlockLength { length, slack: (cadence / 2.0).min(length / 2.0).max(0.0) }
    }

    fn complete(self, elapsed: f64) -> bool {
        elapsed >= self.length - self.slack
    }
}

/// Turns counter readings into one rate per block.
#[derive(Debug, Clone, Default)]
pub(crate) struct CounterBlocks {
    start: Option<(f64, f64, u64)>,
}

impl CounterBlocks {
    /// Feeds a reading; returns a block rate when the block is complete. A counter that
    /// goes down, or a new epoch, starts a new block without a sample.
    pub(crate) fn feed(&mut self, t: f64, total: f64, epoch: u64, block: BlockLength) -> Option<f64> {
        match self.start {
            Some((t0, c0, e0)) if e0 == epoch && total >= c0 && total.is_finite() => {
                if block.complete(t - t0) && t > t0 {
                    tracing::trace!(t0, t, c0, total, rate = (total - c0) / (t - t0), "block");
                    self.start = Some((t, total, epoch));
                    Some((total - c0) / (t - t0))
                } else {
                    None
                }
            }
            _ => {
                self.start = total.is_finite().then_some((t, total, epoch));
                None
            }
        }
    }

    pub(crate) fn reset(&mut self) {
        self.start = None;
    }
}

/// Averages gauge readings per block.
#[derive(Debug, Clone, Default)]
pub(crate) struct GaugeBlocks {
    open: Option<(f64, f64, usize)>,
}

impl GaugeBlocks {
    /// A block covers `block` from its first reading; the first reading past it closes
    /// the block (its mean is returned) and opens the next.
    pub(crate) fn feed(&mut self, t: f64, value: f64, block: BlockLength) -> Option<f64> {
        if !value.is_finite() {
            return None;
        }
        match self.open {
            Some((t0, sum, n)) if block.complete(t - t0) => {
                self.open = Some((t, value, 1));
                Some(sum / n as f64)
            }
            Some((t0, sum, n)) => {
                self.open = Some((t0, sum + value, n + 1));
                None
            }
            None => {
                self.open = Some((t, value, 1));
                None
            }
        }
    }

    pub(crate) fn reset(&mut self) {
        self.open = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact blocks (no slack), as the tables below were written for.
    fn exact(block: f64) -> BlockLength {
        BlockLength { length: block, slack: 0.0 }
    }

    #[test]
    fn counter_blocks_table() {
        let mut b = CounterBlocks::default();
        // (t, total, epoch, expected)
        let steps: &[(f64, f64, u64, Option<f64>)] = &[
            (0.0, 0.0, 1, None),
            (5.0, 500.0, 1, None), // block not complete
            (10.0, 1000.0, 1, Some(100.0)),
            (20.0, 3000.0, 1, Some(200.0)),
            (25.0, 100.0, 1, None), // counter reset: new block
            (35.0, 1100.0, 1, Some(100.0)),
            (45.0, 9000.0, 2, None), // TaskManager set changed
            (55.0, 9500.0, 2, Some(50.0)),
        ];
        for (i, (t, c, e, want)) in steps.iter().enumerate() {
            assert_eq!(b.feed(*t, *c, *e, exact(10.0)), *want, "step {i}");
        }
    }

    #[test]
    fn gauge_blocks_average_without_overlap() {
        let mut g = GaugeBlocks::default();
        let out: Vec<Option<f64>> =
            [(0.0, 1.0), (4.0, 2.0), (8.0, 3.0), (12.0, 4.0), (16.0, 5.0), (22.0, 6.0), (26.0, 7.0)]
                .iter()
                .map(|(t, v)| g.feed(*t, *v, exact(10.0)))
                .collect();
        assert_eq!(out, vec![None, None, None, Some(2.0), None, Some(4.5), None]);
        assert_eq!(g.feed(30.0, f64::NAN, exact(10.0)), None);
    }

    /// Readings 1 s apart that arrive a little early or late: every 10 readings is a block,
    /// so 300 s hold 30 blocks (with exact blocks, jitter loses some).
    #[test]
    fn jittered_ticks_still_give_one_block_per_block_length() {
        // A deterministic jitter of up to ±150 ms around each whole second.
        let jitter = |i: u64| ((i * 7919) % 301) as f64 / 1000.0 - 0.15;
        let count = |len: BlockLength| {
            let mut b = CounterBlocks::default();
            (0..=300u64).filter(|&i| b.feed(i as f64 + jitter(i), i as f64 * 100.0, 1, len).is_some()).count()
        };
        assert_eq!(count(BlockLength::new(10.0, 1.0)), 30);
        assert!(count(exact(10.0)) < 30, "exact blocks lose a reading to jitter");
        // A REST source refreshes every 10 s, seen on 1 s ticks: 9, 10 or 11 s apart.
        let mut b = CounterBlocks::default();
        let mut t = 0.0;
        let mut blocks = 0;
        for i in 0..31u64 {
            if b.feed(t, t * 50.0, 1, BlockLength::new(10.0, 10.0)).is_some() {
                blocks += 1;
            }
            t += [9.0, 10.0, 11.0][(i % 3) as usize];
        }
        assert_eq!(blocks, 30, "every refresh closes a block");
    }

    #[test]
    fn block_length_table() {
        assert_eq!(BlockLength::new(10.0, 1.0), BlockLength { length: 10.0, slack: 0.5 });
        // Never shorter than the cadence: a block needs two readings.
        assert_eq!(BlockLength::new(2.0, 10.0), BlockLength { length: 10.0, slack: 5.0 });
        assert_eq!(BlockLength::new(10.0, 0.0), BlockLength { length: 10.0, slack: 0.0 });
    }
}
