//! A bounded random-input test of the Prometheus parser (stable Rust: no cargo-fuzz):
//! real Flink expositions mutated thousands of ways must never panic, a successful parse
//! never allocates, and what parses keeps its invariants. FLINKSCOPE_FUZZ_ITERATIONS sets
//! the count (default 20 000, a few seconds).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use flinkscope::sources::prometheus::parse;

/// Counts the bytes each thread allocates (tests run on threads of their own).
struct Counting;

thread_local! {
    static ALLOCATED: Cell<usize> = const { Cell::new(0) };
}

fn allocated() -> usize {
    ALLOCATED.with(Cell::get)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // try_with: the thread-local may already be gone while a thread shuts down.
        let _ = ALLOCATED.try_with(|a| a.set(a.get() + layout.size()));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// xorshift64*: deterministic, so a failure can be replayed from its seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn fixture() -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/flink-2.3.0/prometheus-taskmanager.txt",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

const SPECIAL: &[&str] = &[
    "{", "}", "\"", "\\", "=", ",", "\n", "\r\n", " ", "#", "NaN", "+Inf", "E", "-", "\u{0}", "é", "<html>", "\"\"",
    "{}",
];

fn mutate(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let mut v = base.to_vec();
    for _ in 0..1 + rng.below(8) {
        let at = rng.below(v.len() + 1);
        match rng.below(5) {
            0 => {
                if !v.is_empty() {
                    let i = rng.below(v.len());
                    v[i] = rng.next() as u8;
                }
            }
            1 => v.truncate(at),
            2 => {
                let s = SPECIAL[rng.below(SPECIAL.len())].as_bytes();
                v.splice(at..at, s.iter().copied());
            }
            3 => {
                let end = (at + rng.below(200)).min(v.len());
                v.drain(at..end);
            }
            _ => {
                let from = rng.below(v.len().max(1));
                let len = rng.below(300).min(v.len().saturating_sub(from));
                let chunk = v[from..from + len].to_vec();
                v.splice(at.min(v.len())..at.min(v.len()), chunk);
            }
        }
    }
    v
}

#[test]
fn mutated_expositions_never_panic_and_successes_never_allocate() {
    let iterations: usize =
        std::env::var("FLINKSCOPE_FUZZ_ITERATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let base = fixture();
    // Short pieces of the real text make the mutations hit every part of the grammar.
    let lines: Vec<&str> = base.lines().collect();
    let mut rng = Rng(0x5eed_f1a7_2026_1125);
    let (mut ok, mut failed) = (0usize, 0usize);
    for i in 0..iterations {
        let start = rng.below(lines.len());
        let piece = lines[start..(start + 1 + rng.below(20)).min(lines.len())].join("\n");
        let bytes = mutate(&mut rng, piece.as_bytes());
        let Ok(text) = std::str::from_utf8(&bytes) else { continue };
        let before = allocated();
        let mut all_ok = true;
        let mut n = 0;
        for s in parse::samples(text) {
            if let Ok(s) = s {
                n += 1;
                assert!(s.name.len() <= text.len());
                for (k, _) in s.labels() {
                    assert!(!k.is_empty(), "seed iteration {i}: empty label name in {text:?}");
                }
            } else {
                all_ok = false;
                break;
            }
        }
        if all_ok {
            // Borrowed label values only: escapes would allocate, and the fixture has none.
            let bytes = allocated() - before;
            if !text.contains('\\') {
                assert_eq!(bytes, 0, "iteration {i}: a successful parse allocated {bytes} bytes");
            }
            assert!(n <= text.lines().count());
            ok += 1;
        } else {
            failed += 1;
        }
    }
    assert!(ok > 100 && failed > 100, "the mutations explore both outcomes: {ok} ok, {failed} failed");
}

#[test]
fn collecting_allocates_in_proportion_to_the_input() {
    let text = fixture();
    let before = allocated();
    let samples = parse::parse(&text).unwrap();
    let bytes = allocated() - before;
    assert!(!samples.is_empty());
    // The only allocation is the vector of samples (56 bytes each, grown by doubling).
    assert!(bytes <= 4 * text.len(), "{bytes} bytes allocated for {} bytes of input", text.len());
}
