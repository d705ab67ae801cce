//! Samples for the statistics: non-overlapping blocks.
//!
//! Flink's `*PerSecond` meters and busy/backpressure timers are smoothed over tens of
//! seconds, so consecutive readings are not independent and p-values over them would be
//! overconfident. A block sample is instead the rate of a counter over one block (for
//! throughput, busy/idle/backpressured time, CPU and GC time), or the mean of the gauge
//! readings that fell in one block (pool usage, latency markers, memory). Blocks are at
//! least one metrics-refresh long and never overlap.

/// Turns counter readings into one rate per block.
#[derive(Debug, Clone, Default)]
pub struct CounterBlocks {
    start: Option<(f64, f64, u64)>,
}

impl CounterBlocks {
    /// Feeds a reading; returns a block rate when the block is complete. A counter that
    /// goes down, or a new epoch, starts a new block without a sample.
    pub fn feed(&mut self, t: f64, total: f64, epoch: u64, block_s: f64) -> Option<f64> {
        match self.start {
            Some((t0, c0, e0)) if e0 == epoch && total >= c0 && total.is_finite() => {
                if t - t0 >= block_s {
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

    pub fn reset(&mut self) {
        self.start = None;
    }
}

/// Averages gauge readings per block.
#[derive(Debug, Clone, Default)]
pub struct GaugeBlocks {
    open: Option<(f64, f64, usize)>,
}

impl GaugeBlocks {
    /// A block covers `block_s` seconds from its first reading; the first reading past it
    /// closes the block (its mean is returned) and opens the next.
    pub fn feed(&mut self, t: f64, value: f64, block_s: f64) -> Option<f64> {
        if !value.is_finite() {
            return None;
        }
        match self.open {
            Some((t0, sum, n)) if t - t0 >= block_s => {
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

    pub fn reset(&mut self) {
        self.open = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            assert_eq!(b.feed(*t, *c, *e, 10.0), *want, "step {i}");
        }
    }

    #[test]
    fn gauge_blocks_average_without_overlap() {
        let mut g = GaugeBlocks::default();
        let out: Vec<Option<f64>> =
            [(0.0, 1.0), (4.0, 2.0), (8.0, 3.0), (12.0, 4.0), (16.0, 5.0), (22.0, 6.0), (26.0, 7.0)]
                .iter()
                .map(|(t, v)| g.feed(*t, *v, 10.0))
                .collect();
        assert_eq!(out, vec![None, None, None, Some(2.0), None, Some(4.5), None]);
        assert_eq!(g.feed(30.0, f64::NAN, 10.0), None);
    }
}
