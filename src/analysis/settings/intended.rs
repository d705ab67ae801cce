//! The intended configuration of a group: Flink's `config.yaml` (flat keys or nested maps,
//! as Flink 1.19+ reads it) or the legacy `flink-conf.yaml` ("key: value" lines), turned
//! into flat Flink keys.

use std::collections::BTreeMap;

use yaml_rust2::{Yaml, YamlLoader};

/// Flat keys and their values as written. Nested maps are joined with dots
/// (`taskmanager: {network: {...}}` → `taskmanager.network....`), lists with ";" as
/// Flink's own flattening does. A file that is not YAML is read as legacy
/// "key: value" lines, which is what Flink before 1.19 did with it.
pub(crate) fn parse(text: &str) -> Result<BTreeMap<String, String>, String> {
    match YamlLoader::load_from_str(text) {
        Ok(docs) => {
            let mut out = BTreeMap::new();
            match docs.first() {
                None | Some(Yaml::Null) => {}
                Some(Yaml::Hash(_)) => flatten("", &docs[0], &mut out),
                Some(_) => return Err("the file is not a map of Flink keys".into()),
            }
            Ok(out)
        }
        Err(yaml_err) => legacy(text).ok_or_else(|| format!("not YAML: {yaml_err}")),
    }
}

fn flatten(prefix: &str, y: &Yaml, out: &mut BTreeMap<String, String>) {
    let join = |k: &str| if prefix.is_empty() { k.to_string() } else { format!("{prefix}.{k}") };
    match y {
        Yaml::Hash(h) => {
            for (k, v) in h {
                let Some(k) = scalar(k) else { continue };
                flatten(&join(&k), v, out);
            }
        }
        Yaml::Array(a) => {
            let items: Vec<String> = a.iter().filter_map(scalar).collect();
            out.insert(prefix.to_string(), items.join(";"));
        }
        Yaml::Null => {
            out.insert(prefix.to_string(), String::new());
        }
        other => {
            if let Some(s) = scalar(other) {
                out.insert(prefix.to_string(), s);
            }
        }
    }
}

fn scalar(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// flink-conf.yaml before 1.19: one "key: value" per line, '#' comments.
fn legacy(text: &str) -> Option<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (k, v) = line.split_once(": ").or_else(|| line.strip_suffix(':').map(|k| (k, "")))?;
        out.insert(k.trim().to_string(), v.trim().to_string());
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_and_nested_give_the_same_keys() {
        let flat = "taskmanager.network.netty.server.numThreads: 4\ntaskmanager.memory.segment-size: 32kb\n";
        let nested = "taskmanager:\n  network:\n    netty:\n      server:\n        numThreads: 4\n  memory:\n    segment-size: 32kb\n";
        assert_eq!(parse(flat).unwrap(), parse(nested).unwrap());
        let m = parse(nested).unwrap();
        assert_eq!(m["taskmanager.network.netty.server.numThreads"], "4");
        assert_eq!(m["taskmanager.memory.segment-size"], "32kb");
    }

    #[test]
    fn values_keep_their_text_and_lists_join() {
        let m = parse("a.bool: true\na.float: 0.15\na.quoted: \"9250\"\na.list: [x, y]\na.empty:\n").unwrap();
        assert_eq!(m["a.bool"], "true");
        assert_eq!(m["a.float"], "0.15");
        assert_eq!(m["a.quoted"], "9250");
        assert_eq!(m["a.list"], "x;y");
        assert_eq!(m["a.empty"], "");
    }

    #[test]
    fn legacy_lines_that_are_not_yaml() {
        // A value with a ": " inside is not YAML; flink-conf.yaml read it as one line.
        let text = "env.java.opts: -Dx=a: b\n# comment\ntaskmanager.numberOfTaskSlots: 2\n  bad: [\n";
        let m = parse(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m["taskmanager.numberOfTaskSlots"], "2");
    }

    #[test]
    fn not_a_map_is_an_error() {
        assert!(parse("- a\n- b\n").is_err());
        assert!(parse("").unwrap().is_empty());
    }
}
