//! The layering, read from the source: which module may import which. Data flows one way
//! (sources → event → app → model/analysis → ui; actions at the side), and a lower layer
//! never imports a higher one. Reads every `crate::<module>` path outside test code.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Each layer and the modules it may use (besides itself). `sanitize`, `format` and
/// `private` are leaves anyone may use.
const ALLOWED: &[(&str, &[&str])] = &[
    ("model", &["sanitize"]),
    ("analysis", &["model", "sanitize"]),
    ("format", &["model"]),
    ("sanitize", &[]),
    ("private", &["sanitize"]),
    // The screen draws the app's state: it never reaches into sources, actions or config.
    ("ui", &["app", "model", "analysis", "format", "sanitize"]),
    // The config file parses into the analysis' and the model's types.
    ("config", &["model", "analysis", "sanitize", "private"]),
    // The one channel's message: sources and actions send it, the app takes it.
    ("event", &["model"]),
    ("sources", &["model", "sanitize", "config", "event", "private"]),
    // Actions run external commands beside the loop; they take what the app hands them.
    ("actions", &["model", "sanitize", "private", "event", "analysis"]),
    ("app", &["model", "analysis", "config", "sources", "actions", "event", "sanitize", "format"]),
    // A recording holds what the app took (events, alerts) and the settings it judged with.
    ("record", &["model", "analysis", "config", "event", "sanitize", "cli"]),
    // A replay drives the app and the screen from a recording, never the sources or actions.
    ("replay", &["app", "model", "analysis", "config", "event", "record", "ui", "tui", "sanitize", "format"]),
    // A report reads a run's final judgement: from a replayed recording or the live app.
    ("report", &["app", "model", "analysis", "config", "record", "replay", "check", "sanitize", "format"]),
    // `flinkscope settings` reads once and prints the review.
    ("settings_cmd", &["model", "analysis", "config", "sources", "cli", "sanitize"]),
    ("progress", &["app", "analysis"]),
    // Preflight checks what the headless loop saw and what the config prepares.
    ("preflight", &["app", "model", "analysis", "config", "sources", "headless", "cli", "sanitize"]),
    // The headless gate prints text: it shares the app's loop, not the screen.
    (
        "check",
        &[
            "app", "model", "analysis", "config", "sources", "actions", "event", "snapshot", "headless", "format",
            "cli", "sanitize",
        ],
    ),
];

/// Arrows still to go, each with where it goes away.
const KNOWN: &[(&str, &str, &str)] = &[];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The modules a file names as `crate::<module>`, up to its test code.
fn imports(path: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let code = text.split("#[cfg(test)]").next().unwrap_or("");
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        if !name.is_empty() && !code[..i].ends_with('$') {
            out.insert(name);
        }
    }
    // `use super::super::...` would climb out of a layer: none may.
    assert!(!code.contains("super::super"), "{}: super::super climbs out of its module", path.display());
    out
}

#[test]
fn no_layer_imports_a_higher_one() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut broken = Vec::new();
    let mut known_seen = BTreeSet::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        if rel.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let layer = rel.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_string();
        let Some((_, allowed)) = ALLOWED.iter().find(|(l, _)| *l == layer) else { continue };
        let shown = format!("src/{}", rel.display());
        for m in imports(f) {
            if m == layer || allowed.contains(&m.as_str()) {
                continue;
            }
            if KNOWN.iter().any(|(l, to, file)| *l == layer && *to == m && *file == shown) {
                known_seen.insert(shown.clone());
                continue;
            }
            broken.push(format!("{shown}: {layer} imports {m}"));
        }
    }
    assert!(broken.is_empty(), "arrows against the layering:\n{}", broken.join("\n"));
    // A known arrow that is gone comes off the list.
    for (_, _, file) in KNOWN {
        assert!(known_seen.contains(*file), "{file} no longer imports what KNOWN says: remove it from KNOWN");
    }
}

/// The transports beside one vocabulary: each imports `flink_metrics` (and `http`), none
/// imports another transport.
#[test]
fn no_transport_imports_another() {
    const TRANSPORTS: [&str; 5] = ["flink_rest", "prometheus", "jolokia", "prometheus_server", "host"];
    let sources = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/sources");
    let mut broken = Vec::new();
    for t in TRANSPORTS {
        let mut files = Vec::new();
        rust_files(&sources.join(t), &mut files);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            for other in TRANSPORTS.iter().filter(|o| **o != t) {
                if code.contains(&format!("sources::{other}::")) || code.contains(&format!("sources::{other};")) {
                    broken.push(format!("{}: {t} imports {other}", f.display()));
                }
            }
        }
    }
    assert!(broken.is_empty(), "transports importing each other:\n{}", broken.join("\n"));
}

#[test]
fn the_checker_sees_an_arrow() {
    // The reader finds `crate::` paths in use lines and in expressions alike.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("x.rs");
    std::fs::write(
        &f,
        "use crate::ui::Theme;\nfn f() { crate::sources::http::x(); }\n#[cfg(test)]\nmod tests { use crate::run; }\n",
    )
    .unwrap();
    let got: Vec<String> = imports(&f).into_iter().collect();
    assert_eq!(got, ["sources", "ui"], "test code is left out");
}
