//! The settings catalogue against the options classes of each Flink the lab installed:
//! `scripts/lab/ListOptions.java` lists every ConfigOption in the jars (key, type, default,
//! deprecated, fallback keys); every network-related key there must be in the catalogue,
//! and each catalogue row must say what that version really does with it.
//!
//! Needs both lab installs (scripts/test.sh runs it once 1.20.5 and 2.3.0 are installed).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use flinkscope::analysis::settings::catalogue::{In, Line, OPTIONS, PLAN_MATRIX, find};

struct JarOption {
    default: String,
    deprecated: bool,
    fallbacks: Vec<String>,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn lab_dir() -> PathBuf {
    std::env::var_os("FLINKSCOPE_LAB_DIR").map_or_else(|| repo().join(".lab"), PathBuf::from)
}

/// The options the jars of an installed Flink declare.
fn jar_options(version: &str) -> BTreeMap<String, JarOption> {
    let venv = lab_dir().join(format!("flink-{version}"));
    let lib = std::fs::read_dir(venv.join("lib"))
        .unwrap_or_else(|e| {
            panic!("Flink {version} is not installed in {} ({e}): run scripts/lab.sh install {version}", venv.display())
        })
        .flatten()
        .map(|e| e.path().join("site-packages/pyflink/lib"))
        .find(|p| p.is_dir())
        .expect("pyflink/lib in the install");
    let out = Command::new("java")
        .arg("-cp")
        .arg(format!("{}/*", lib.display()))
        .arg(repo().join("scripts/lab/ListOptions.java"))
        .output()
        .expect("running java");
    assert!(out.status.success(), "ListOptions on {version}: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let map: BTreeMap<String, JarOption> = text
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.len() == 5).then(|| {
                (
                    f[0].to_string(),
                    JarOption {
                        default: if f[2] == "null" { String::new() } else { f[2].to_string() },
                        deprecated: f[3] == "true",
                        fallbacks: f[4].split(',').filter(|s| !s.is_empty()).map(String::from).collect(),
                    },
                )
            })
        })
        .collect();
    assert!(map.len() > 500, "Flink {version}'s jars list {} options: the lister found too few", map.len());
    map
}

fn network_related(key: &str) -> bool {
    [
        "taskmanager.network.",
        "taskmanager.memory.network.",
        "taskmanager.net.",
        "taskmanager.data.",
        "execution.buffer-timeout",
    ]
    .iter()
    .any(|p| key.starts_with(p))
        || key == "taskmanager.memory.segment-size"
}

fn check(version: &str, line: Line) {
    let jar = jar_options(version);
    let missing: Vec<&String> = jar.keys().filter(|k| network_related(k) && find(k).is_none()).collect();
    assert!(missing.is_empty(), "Flink {version} has network options the catalogue lacks: {missing:#?}");
    let mut wrong = Vec::new();
    for o in OPTIONS {
        match (o.on(line), jar.get(o.key)) {
            (In::Absent, None) => {}
            (In::Absent, Some(_)) => wrong.push(format!("{}: the catalogue says absent, {version} has it", o.key)),
            (_, None) => wrong.push(format!("{}: the catalogue says {version} has it; its jars do not", o.key)),
            (have, Some(j)) => {
                if have.default() != Some(j.default.as_str()) {
                    wrong.push(format!(
                        "{}: default {:?} in the catalogue, {:?} in {version}",
                        o.key,
                        have.default(),
                        j.default
                    ));
                }
                if matches!(have, In::Deprecated(_)) != j.deprecated {
                    wrong.push(format!("{}: deprecated is {} in {version}", o.key, j.deprecated));
                }
                let mut mine: Vec<&str> = o.fallbacks.to_vec();
                let mut theirs: Vec<&str> = j.fallbacks.iter().map(String::as_str).collect();
                mine.sort_unstable();
                theirs.sort_unstable();
                if mine != theirs {
                    wrong.push(format!("{}: fallback keys {mine:?} in the catalogue, {theirs:?} in {version}", o.key));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "the catalogue is wrong about Flink {version}:\n{}", wrong.join("\n"));
    // Every key of the test plan's matrix: what this version does with it.
    for (category, key, plan_default) in PLAN_MATRIX {
        let o = find(key).unwrap();
        let what = match o.on(line) {
            In::Has(d) => format!("read (default {d:?})"),
            In::Deprecated(d) => format!("read, deprecated (default {d:?})"),
            In::Absent => "IGNORED".into(),
        };
        println!("{version} {category:26} {key:65} plan assumes {plan_default:9} {what}");
    }
}

#[test]
fn the_catalogue_matches_flink_1_20_5() {
    check("1.20.5", Line::V1);
}

#[test]
fn the_catalogue_matches_flink_2_3_0() {
    check("2.3.0", Line::V2);
}
