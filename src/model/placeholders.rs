//! Placeholders in rollback argv: `{variant.job_id}`, `{variant.flink}`,
//! `{variant.taskmanagers}` (a list: one argv element per TaskManager), and the same for
//! `baseline`. A placeholder must be a whole argv element (never spliced into a string,
//! never seen by a shell), and every value must match a strict pattern: a value with `;`,
//! `$()`, quotes or spaces stops the rollback before anything runs.

use std::collections::BTreeMap;

/// What the placeholders stand for, per group.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub(crate) struct GroupTargets {
    /// The group's Flink REST URL; `None` for a group watched through Prometheus only.
    pub(crate) flink: Option<String>,
    pub(crate) job_id: Option<String>,
    pub(crate) taskmanagers: Vec<String>,
    pub(crate) flink_version: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Targets {
    pub(crate) baseline: GroupTargets,
    pub(crate) variant: GroupTargets,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum PlaceholderError {
    #[error("unknown placeholder {0} (known: {{baseline|variant}}.{{flink,job_id,taskmanagers,flink_version}})")]
    Unknown(String),
    #[error("placeholder {0} must be a whole argv element, not part of {1:?}")]
    Embedded(String, String),
    #[error("{placeholder} has no value now ({why})")]
    Missing { placeholder: String, why: String },
    #[error("{placeholder} = {value:?} is refused: only letters, digits and . _ - : / @ % + = , ~ are allowed")]
    Unsafe { placeholder: String, value: String },
    #[error(
        "{placeholder} = {value:?} is refused: it starts with '-' and the command would read it as an option (put the placeholder after a \"--\" element to pass such values)"
    )]
    OptionLike { placeholder: String, value: String },
}

const FIELDS: &[&str] = &["flink", "job_id", "taskmanagers", "flink_version"];

/// Checks an argv's placeholders without values (for start-up validation).
pub(crate) fn check(argv: &[String]) -> Result<(), PlaceholderError> {
    for arg in argv {
        parse(arg)?;
    }
    Ok(())
}

/// `Some((group, field))` when `arg` is exactly one placeholder; `None` for plain text.
fn parse(arg: &str) -> Result<Option<(&str, &str)>, PlaceholderError> {
    let Some(open) = arg.find('{') else {
        return if arg.contains('}') { Err(PlaceholderError::Embedded("}".into(), arg.into())) } else { Ok(None) };
    };
    let close = arg[open..].find('}').map(|c| c + open).ok_or_else(|| PlaceholderError::Unknown(arg.into()))?;
    let name = &arg[open..=close];
    let inner = &arg[open + 1..close];
    let (group, field) = inner.split_once('.').ok_or_else(|| PlaceholderError::Unknown(name.into()))?;
    if !matches!(group, "baseline" | "variant") || !FIELDS.contains(&field) {
        return Err(PlaceholderError::Unknown(name.into()));
    }
    if open != 0 || close != arg.len() - 1 {
        return Err(PlaceholderError::Embedded(name.into(), arg.into()));
    }
    Ok(Some((group, field)))
}

pub(crate) fn is_safe(value: &str) -> bool {
    !value.is_empty() && value.chars().all(|c| c.is_ascii_alphanumeric() || "._-:/@%+=,~".contains(c))
}

/// Replaces placeholders; a list placeholder becomes one element per item.
pub(crate) fn expand(argv: &[String], t: &Targets) -> Result<Vec<String>, PlaceholderError> {
    let mut out = Vec::with_capacity(argv.len());
    // After a literal `--` the command takes every element as an operand, never an option.
    let mut operands_only = false;
    for arg in argv {
        let Some((group, field)) = parse(arg)? else {
            operands_only |= arg == "--";
            out.push(arg.clone());
            continue;
        };
        let g = if group == "baseline" { &t.baseline } else { &t.variant };
        let missing = |why: &str| PlaceholderError::Missing { placeholder: arg.clone(), why: why.into() };
        let values: Vec<String> = match field {
            "flink" => vec![g.flink.clone().ok_or_else(|| missing("the group has no Flink REST URL"))?],
            "job_id" => vec![g.job_id.clone().ok_or_else(|| missing("no job runs"))?],
            "flink_version" => vec![g.flink_version.clone().ok_or_else(|| missing("version not read yet"))?],
            "taskmanagers" if g.taskmanagers.is_empty() => return Err(missing("no TaskManagers")),
            "taskmanagers" => g.taskmanagers.clone(),
            _ => return Err(PlaceholderError::Unknown(arg.clone())),
        };
        for v in values {
            if !is_safe(&v) {
                return Err(PlaceholderError::Unsafe {
                    placeholder: arg.clone(),
                    value: crate::sanitize::snippet(&v, 80),
                });
            }
            // A TaskManager id `--all` must not become `kubectl delete pod --all`.
            if v.starts_with('-') && !operands_only {
                return Err(PlaceholderError::OptionLike {
                    placeholder: arg.clone(),
                    value: crate::sanitize::snippet(&v, 80),
                });
            }
            out.push(v);
        }
    }
    Ok(out)
}

/// FLINKSCOPE_* variables describing the canary, for the steps' environment.
pub(crate) fn env(t: &Targets) -> BTreeMap<String, String> {
    let mut e = BTreeMap::new();
    for (name, g) in [("BASELINE", &t.baseline), ("VARIANT", &t.variant)] {
        if let Some(f) = &g.flink {
            e.insert(format!("FLINKSCOPE_{name}_FLINK"), f.clone());
        }
        if let Some(j) = g.job_id.as_ref().filter(|j| is_safe(j)) {
            e.insert(format!("FLINKSCOPE_{name}_JOB_ID"), j.clone());
        }
        let tms: Vec<&str> = g.taskmanagers.iter().map(String::as_str).filter(|t| is_safe(t)).collect();
        e.insert(format!("FLINKSCOPE_{name}_TASKMANAGERS"), tms.join(","));
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets() -> Targets {
        Targets {
            baseline: GroupTargets { flink: Some("http://127.0.0.1:8081".into()), ..Default::default() },
            variant: GroupTargets {
                flink: Some("http://127.0.0.1:8082".into()),
                job_id: Some("49e9c17b1c0e9c703c716db89c62d948".into()),
                taskmanagers: vec!["tm-var-1".into(), "tm-var-2".into()],
                flink_version: Some("2.3.0".into()),
            },
        }
    }

    fn argv(a: &[&str]) -> Vec<String> {
        a.iter().map(std::string::ToString::to_string).collect()
    }

    #[test]
    fn whole_elements_and_lists() {
        let got = expand(
            &argv(&["restart", "{variant.job_id}", "--tms", "{variant.taskmanagers}", "{variant.flink}"]),
            &targets(),
        )
        .unwrap();
        assert_eq!(
            got,
            argv(&[
                "restart",
                "49e9c17b1c0e9c703c716db89c62d948",
                "--tms",
                "tm-var-1",
                "tm-var-2",
                "http://127.0.0.1:8082"
            ])
        );
    }

    #[test]
    fn refused_before_anything_runs() {
        let bad = |a: &[&str]| expand(&argv(a), &targets()).unwrap_err();
        assert!(matches!(bad(&["x", "--job={variant.job_id}"]), PlaceholderError::Embedded(..)));
        assert!(matches!(bad(&["{variant.jobid}"]), PlaceholderError::Unknown(..)));
        assert!(matches!(bad(&["{canary.job_id}"]), PlaceholderError::Unknown(..)));
        assert!(matches!(bad(&["{baseline.job_id}"]), PlaceholderError::Missing { .. }));
        for evil in ["a;rm -rf /", "$(reboot)", "it's", "two words", "`id`", "a\"b", "x|y", "a\nb", ""] {
            let mut t = targets();
            t.variant.taskmanagers = vec![evil.into()];
            let e = expand(&argv(&["{variant.taskmanagers}"]), &t).unwrap_err();
            assert!(matches!(e, PlaceholderError::Unsafe { .. } | PlaceholderError::Missing { .. }), "{evil:?}: {e:?}");
        }
    }

    #[test]
    fn values_that_read_as_options_are_refused_unless_after_a_double_dash() {
        let mut t = targets();
        t.variant.taskmanagers = vec!["tm-var-1".into(), "--all".into()];
        let e = expand(&argv(&["kubectl", "delete", "pod", "{variant.taskmanagers}"]), &t).unwrap_err();
        assert!(matches!(&e, PlaceholderError::OptionLike { value, .. } if value == "--all"), "{e:?}");
        assert!(e.to_string().contains("\"--\""), "says how to pass it: {e}");
        t.variant.job_id = Some("-f".into());
        assert!(matches!(
            expand(&argv(&["flink", "cancel", "{variant.job_id}"]), &t),
            Err(PlaceholderError::OptionLike { .. })
        ));
        // After `--` every element is an operand: passed as it is.
        let got = expand(&argv(&["kubectl", "delete", "pod", "--", "{variant.taskmanagers}"]), &t).unwrap();
        assert_eq!(got, argv(&["kubectl", "delete", "pod", "--", "tm-var-1", "--all"]));
    }

    #[test]
    fn startup_check() {
        assert!(check(&argv(&["kubectl", "{variant.flink}"])).is_ok());
        assert!(check(&argv(&["kubectl", "{variant.flnk}"])).is_err());
        assert!(check(&argv(&["echo", "a}b"])).is_err());
    }

    #[test]
    fn environment() {
        let e = env(&targets());
        assert_eq!(e["FLINKSCOPE_VARIANT_TASKMANAGERS"], "tm-var-1,tm-var-2");
        assert_eq!(e["FLINKSCOPE_BASELINE_FLINK"], "http://127.0.0.1:8081");
        assert!(!e.contains_key("FLINKSCOPE_BASELINE_JOB_ID"));
    }
}
