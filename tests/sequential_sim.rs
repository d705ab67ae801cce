//! A short form of `benches/sequential.rs` for CI: on block series shaped like the lab's
//! recordings, identical groups judged after every block for 30 minutes are rarely called
//! significant by the sequential test (at most alpha), while the usual fixed-horizon
//! judge, re-run on every block, is more often; a -30% throughput drop is found within
//! the window.

#[path = "sim/mod.rs"]
mod sim;

use sim::{Method, noise_of, recording, simulate};

const RUNS: usize = 400;
const BLOCKS: usize = 180;

#[test]
fn the_sequential_test_keeps_false_alarms_under_alpha_under_continuous_watching() {
    let rec = recording("lab-2.3.0-split.csv");
    let method = Method::Sequential { min_samples: flinkscope::analysis::judge::DEFAULT_MIN_SAMPLES };
    for (i, key) in ["records_in_per_s", "latency_p99_ms", "cpu_cores", "heap_used_bytes"].into_iter().enumerate() {
        let o = simulate(noise_of(&rec, key), 1.0, method, RUNS, BLOCKS, 7 + i as u64);
        assert!(o.rate() <= 0.05, "{key}: {} of {RUNS} identical runs were called significant", o.detected);
    }
}

#[test]
fn the_windowed_mann_whitney_judge_raises_more_false_alarms() {
    let rec = recording("lab-2.3.0-split.csv");
    let noise = noise_of(&rec, "records_in_per_s");
    let seq = simulate(noise, 1.0, Method::Sequential { min_samples: 20 }, RUNS, BLOCKS, 11);
    let mw = simulate(noise, 1.0, Method::WindowedMannWhitney { window: 30, min_samples: 30 }, RUNS, BLOCKS, 11);
    assert!(mw.rate() > 0.05, "re-testing a window on every block exceeds alpha: {}", mw.rate());
    assert!(mw.rate() > seq.rate(), "{} vs {}", mw.rate(), seq.rate());
}

#[test]
fn a_real_regression_is_detected_within_the_window() {
    let rec = recording("lab-2.3.0-split.csv");
    let noise = noise_of(&rec, "records_in_per_s");
    let o = simulate(noise, 0.70, Method::Sequential { min_samples: 20 }, 200, BLOCKS, 13);
    assert!(o.rate() >= 0.99, "-30% throughput found in {} of 200 runs", o.detected);
    let median = o.median_first().unwrap();
    assert!(median <= 30, "median detection after {median} blocks (the window is 30)");
}
