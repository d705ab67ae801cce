//! Prometheus text parsing throughput on a ~6 MB Flink-style exposition (the lab's
//! TaskManager scrape replicated with distinct tm_id labels): flinkscope's parser against
//! the prometheus-parse crate, in one run. `cargo bench --bench prom_parse`.

use std::time::{Duration, Instant};

fn exposition() -> String {
    let base = std::fs::read_to_string(format!(
        "{}/tests/fixtures/flink-2.3.0/prometheus-taskmanager.txt",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let mut out = String::new();
    let mut i = 0;
    while out.len() < 6 << 20 {
        out.push_str(&base.replace("tm_id=\"tm_base_1\"", &format!("tm_id=\"tm_{i}\"")));
        i += 1;
    }
    out
}

/// Runs `f` repeatedly for about `budget`; returns MB/s over the best of the rounds.
fn throughput(text: &str, budget: Duration, mut f: impl FnMut(&str) -> usize) -> (f64, usize) {
    let mut best = Duration::MAX;
    let mut n = 0;
    let start = Instant::now();
    while start.elapsed() < budget {
        let t = Instant::now();
        n = std::hint::black_box(f(std::hint::black_box(text)));
        best = best.min(t.elapsed());
    }
    (text.len() as f64 / 1e6 / best.as_secs_f64(), n)
}

fn main() {
    let text = exposition();
    println!("exposition: {:.1} MB, {} lines", text.len() as f64 / 1e6, text.lines().count());
    let (ours, n1) = throughput(&text, Duration::from_secs(3), |t| {
        let mut n = 0;
        for s in flinkscope::sources::prometheus::parse::samples(t) {
            let s = s.expect("valid");
            // Touch what a consumer reads: the value and one label.
            n += (s.value.is_finite() as usize) + s.label("tm_id").map_or(0, |v| v.len() & 1);
        }
        n
    });
    let (theirs, n2) = throughput(&text, Duration::from_secs(3), |t| {
        let lines = t.lines().map(|l| Ok(l.to_string()));
        prometheus_parse::Scrape::parse(lines).map_or(0, |s| s.samples.len())
    });
    println!("flinkscope parser:      {ours:>7.0} MB/s ({n1})");
    println!("prometheus-parse crate: {theirs:>7.0} MB/s ({n2} samples)");
    println!("ratio: {:.1}x", ours / theirs);
}
