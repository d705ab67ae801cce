//! The judgement under continuous watching: false alarms and detection, simulated on block
//! series resampled from the lab's recording (tests/sim, tests/fixtures/blocks).
//!
//! `cargo bench --bench sequential` prints the README's tables: for identical groups, how
//! often each method is ever significant in 30 minutes of evaluations after every 10 s
//! block (2,000 runs per metric); for variants with less throughput, how often and how
//! fast each detects it.

#[path = "../tests/sim/mod.rs"]
mod sim;

use sim::{Method, Noise, recording, residuals_of, simulate};

const RUNS: usize = 2000;
/// 30 minutes of 10 s blocks.
const BLOCKS: usize = 180;
const BLOCK_S: f64 = 10.0;

fn main() {
    let rec = recording("lab-2.3.0-split.csv");
    let methods = [
        Method::WindowedMannWhitney { window: 30, min_samples: 30 },
        Method::Sequential { min_samples: 10 },
        Method::Sequential { min_samples: 20 },
        Method::Sequential { min_samples: 30 },
    ];
    let keys = ["records_in_per_s", "latency_p99_ms", "cpu_cores", "heap_used_bytes"];
    println!("the recording (cv = sd / mean of 10 s blocks, r1 = lag-1 autocorrelation), per group:");
    for (g, k, v) in &rec {
        if keys.contains(&k.as_str()) {
            let n = Noise::of(v);
            println!(
                "  {g:<8} {k:<18} n {:>3}  mean {:>12.4}  cv {:.4}  r1 {:+.2}",
                v.len(),
                n.mean,
                n.sd / n.mean,
                n.phi
            );
        }
    }
    println!(
        "\nidentical groups, {RUNS} runs x {BLOCKS} blocks (30 min), evaluated after every block: ever significant"
    );
    println!("| method | {} |", keys.join(" | "));
    println!("|---|{}", "---|".repeat(keys.len()));
    for m in methods {
        let rates: Vec<String> = keys
            .iter()
            .enumerate()
            .map(|(i, key)| {
                let o = simulate(&residuals_of(&rec, key), 1.0, m, RUNS, BLOCKS, 1 + i as u64);
                format!("{:.1}%", o.rate() * 100.0)
            })
            .collect();
        println!("| {} | {} |", m.label(), rates.join(" | "));
    }
    println!("\nthroughput regressions ({RUNS} runs each): detected within 30 min, median time to detect");
    let drops = [0.05, 0.10, 0.15, 0.30];
    println!("| method | {} |", drops.map(|d| format!("-{:.0}%", d * 100.0)).join(" | "));
    println!("|---|{}", "---|".repeat(drops.len()));
    let throughput = residuals_of(&rec, "records_in_per_s");
    for m in methods {
        let cells: Vec<String> = drops
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let o = simulate(&throughput, 1.0 - d, m, RUNS, BLOCKS, 100 + i as u64);
                let t = o.median_first().map(|b| format!("{:.0} s", b as f64 * BLOCK_S)).unwrap_or("-".into());
                format!("{:.1}%, {t}", o.rate() * 100.0)
            })
            .collect();
        println!("| {} | {} |", m.label(), cells.join(" | "));
    }
}
