//! flinkscope's statistics against values computed independently by
//! scripts/stats_reference.py (scipy and brute force), re-run here; agreement to 1e-6
//! relative error, ties and identical series included. The script's output is also
//! committed as tests/fixtures/stats/reference.json and must not drift.

use std::path::PathBuf;
use std::process::Command;

use flinkscope::analysis::stats;
use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Python with scipy: $FLINKSCOPE_PYREF_PYTHON, else .lab/pyref (made by scripts/pyref.sh).
fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("FLINKSCOPE_PYREF_PYTHON") {
        return p.into();
    }
    let p = repo().join(".lab/pyref/bin/python3");
    assert!(p.exists(), "{} is missing: run scripts/pyref.sh (scripts/test.sh does)", p.display());
    p
}

fn run_reference() -> Value {
    let out =
        Command::new(python()).arg(repo().join("scripts/stats_reference.py")).output().expect("running the reference");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn close(name: &str, what: &str, got: f64, want: f64) {
    let ok = if want == 0.0 { got.abs() < 1e-12 } else { ((got - want) / want).abs() <= 1e-6 };
    assert!(ok, "{name}: {what}: flinkscope {got:e}, reference {want:e}");
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn check(doc: &Value) -> usize {
    let cases = doc["cases"].as_array().unwrap();
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let (b, v, alpha) = (floats(&c["baseline"]), floats(&c["variant"]), c["alpha"].as_f64().unwrap());
        let e = &c["expected"];
        for (group, xs) in [("baseline", &b), ("variant", &v)] {
            let s = stats::summary(xs).unwrap();
            let want = &e[group];
            assert_eq!(s.n as u64, want["n"].as_u64().unwrap(), "{name}");
            for (what, got) in [("mean", s.mean), ("median", s.median), ("p95", s.p95), ("sd", s.sd)] {
                close(name, &format!("{group} {what}"), got, want[what].as_f64().unwrap());
            }
        }
        let w = stats::welch(&b, &v).unwrap();
        close(name, "welch p", w.p, e["welch"]["p"].as_f64().unwrap());
        if let Some(t) = e["welch"]["t"].as_f64() {
            close(name, "welch t", w.t, t);
        }
        let mw = stats::mann_whitney(&b, &v).unwrap();
        close(name, "mann-whitney U", mw.u, e["mann_whitney"]["u"].as_f64().unwrap());
        close(name, "mann-whitney p", mw.p, e["mann_whitney"]["p"].as_f64().unwrap());
        let hl = stats::hodges_lehmann(&b, &v, alpha).unwrap();
        close(name, "hodges-lehmann shift", hl.shift, e["hodges_lehmann"]["shift"].as_f64().unwrap());
        match (hl.ci, e["hodges_lehmann"]["ci"].as_array()) {
            (Some((lo, hi)), Some(want)) => {
                close(name, "ci low", lo, want[0].as_f64().unwrap());
                close(name, "ci high", hi, want[1].as_f64().unwrap());
            }
            (None, None) => {}
            (got, want) => panic!("{name}: interval {got:?} vs reference {want:?}"),
        }
        match (stats::cohens_d(&b, &v), e["cohens_d"].as_f64()) {
            (Some(got), Some(want)) => close(name, "cohen's d", got, want),
            (None, None) => {}
            (got, want) => panic!("{name}: cohen's d {got:?} vs reference {want:?}"),
        }
    }
    cases.len()
}

#[test]
fn statistics_agree_with_the_python_reference_rerun_now() {
    let doc = run_reference();
    assert!(check(&doc) >= 10);
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("tests/fixtures/stats/reference.json")).unwrap())
            .unwrap();
    assert_eq!(doc["cases"], committed["cases"], "the committed fixture is the script's output: regenerate it");
}

#[test]
fn statistics_agree_with_the_committed_reference() {
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("tests/fixtures/stats/reference.json")).unwrap())
            .unwrap();
    assert!(check(&committed) >= 10);
}
