//! The judgement under continuous watching: false alarms and detection, simulated on block
//! series resampled from the lab's recording (tests/sim, tests/fixtures/blocks).
//!
//! `cargo bench --bench sequential` prints docs/judgement.md's tables, for groups side by side
//! (both drawn from the same recorded times) and apart (each from its own stretches): for
//! identical groups, how often each method is ever significant in 30 minutes of
//! evaluations after every 10 s block (2,000 runs per metric); for variants with less
//! throughput, how often and how fast each detects it.

#[path = "../tests/sim/mod.rs"]
mod sim;

use flinkscope::analysis::judge::DEFAULT_RESOURCE_MARGIN;
use sim::{Method, Noise, Pairing, false_soft_alerts, recording, residuals_of, simulate_paired};

const RUNS: usize = 2000;
/// 30 minutes of 10 s blocks.
const BLOCKS: usize = 180;
const BLOCK_S: f64 = 10.0;

fn main() {
    let rec = recording("lab-2.3.0-split.csv");
    let methods = [
        Method::WindowedMannWhitney { window: 30, min_samples: 30 },
        Method::Sequential { min_samples: 10, resource_margin: DEFAULT_RESOURCE_MARGIN },
        Method::Sequential { min_samples: 20, resource_margin: 0.0 },
        Method::Sequential { min_samples: 20, resource_margin: 0.02 },
        Method::shipped(),
        Method::Sequential { min_samples: 30, resource_margin: DEFAULT_RESOURCE_MARGIN },
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
    for (pairing, what) in [
        (Pairing::SameTimes, "side by side (both groups from the same recorded times: shared host load)"),
        (Pairing::Independent, "apart (each group from its own stretches: nothing shared)"),
    ] {
        println!("\n{what}");
        println!(
            "identical groups, {RUNS} runs x {BLOCKS} blocks (30 min), evaluated after every block: ever significant"
        );
        println!("| method | {} |", keys.join(" | "));
        println!("|---|{}", "---|".repeat(keys.len()));
        for m in methods {
            let rates: Vec<String> = keys
                .iter()
                .enumerate()
                .map(|(i, key)| {
                    let o = simulate_paired(&residuals_of(&rec, key), 1.0, m, pairing, RUNS, BLOCKS, 1 + i as u64);
                    format!("{:.1}%", o.rate() * 100.0)
                })
                .collect();
            println!("| {} | {} |", m.label(), rates.join(" | "));
        }
        println!(
            "identical groups: false soft alerts (significantly worse beyond the rule's threshold, 3 evaluations running)"
        );
        let rules = [
            ("records_in_per_s", 15.0, true),
            ("latency_p99_ms", 50.0, false),
            ("cpu_cores", 30.0, false),
            ("heap_used_bytes", 25.0, false),
        ];
        for m in methods {
            let cells: Vec<String> = rules
                .iter()
                .enumerate()
                .map(|(i, (key, threshold, lower))| {
                    let n = false_soft_alerts(
                        &residuals_of(&rec, key),
                        m,
                        pairing,
                        *threshold,
                        *lower,
                        3,
                        RUNS,
                        BLOCKS,
                        50 + i as u64,
                    );
                    format!("{:.1}%", n as f64 / RUNS as f64 * 100.0)
                })
                .collect();
            println!("| {} | {} |", m.label(), cells.join(" | "));
        }
        println!("throughput regressions ({RUNS} runs each): detected within 30 min, median time to detect");
        let drops = [0.02, 0.05, 0.10, 0.15, 0.30];
        println!("| method | {} |", drops.map(|d| format!("-{:.0}%", d * 100.0)).join(" | "));
        println!("|---|{}", "---|".repeat(drops.len()));
        let throughput = residuals_of(&rec, "records_in_per_s");
        for m in methods {
            let cells: Vec<String> = drops
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    let o = simulate_paired(&throughput, 1.0 - d, m, pairing, RUNS, BLOCKS, 100 + i as u64);
                    let t = o.median_first().map_or("-".into(), |b| format!("{:.0} s", b as f64 * BLOCK_S));
                    format!("{:.1}%, {t}", o.rate() * 100.0)
                })
                .collect();
            println!("| {} | {} |", m.label(), cells.join(" | "));
        }
        println!("CPU increases ({RUNS} runs each): detected within 30 min, median time to detect");
        let rises = [0.05, 0.10, 0.15, 0.30];
        println!("| method | {} |", rises.map(|d| format!("+{:.0}%", d * 100.0)).join(" | "));
        println!("|---|{}", "---|".repeat(rises.len()));
        let cpu = residuals_of(&rec, "cpu_cores");
        for m in methods {
            let cells: Vec<String> = rises
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    let o = simulate_paired(&cpu, 1.0 + d, m, pairing, RUNS, BLOCKS, 200 + i as u64);
                    let t = o.median_first().map_or("-".into(), |b| format!("{:.0} s", b as f64 * BLOCK_S));
                    format!("{:.1}%, {t}", o.rate() * 100.0)
                })
                .collect();
            println!("| {} | {} |", m.label(), cells.join(" | "));
        }
    }
}
