use std::path::Path;

use super::*;

fn parse_str(text: &str) -> Result<Loaded, ConfigError> {
    parse(text, Path::new("/etc/flinkscope/test.toml"))
}

#[test]
fn the_example_is_the_default() {
    let text = include_str!("../../config.example.toml");
    let loaded = parse(text, Path::new("config.example.toml")).expect("config.example.toml parses");
    assert_eq!(loaded.settings, Settings::default());
    let config = loaded.finish().unwrap();
    assert_eq!(config.baseline, GroupConfig::new(RestUrl::new("http://127.0.0.1:8081").unwrap()));
    assert_eq!(config.variant, GroupConfig::new(RestUrl::new("http://127.0.0.1:8082").unwrap()));
}

#[test]
fn the_example_with_every_optional_section_uncommented_parses() {
    // Uncomment lines that look like `# key = value` or `# [table]`, so every documented
    // optional key is checked to exist.
    let text: String = include_str!("../../config.example.toml")
        .lines()
        .map(|l| {
            let t = l.trim_start();
            match t.strip_prefix("# ") {
                Some(rest)
                    if rest.starts_with('[') || rest.split_once(" = ").is_some_and(|(k, _)| !k.contains(' ')) =>
                {
                    rest.to_string()
                }
                _ => l.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let loaded = parse_str(&text).unwrap_or_else(|e| panic!("{e}\n---\n{text}"));
    let b = loaded.baseline.unwrap();
    assert!(b.taskmanagers.is_some() && b.interval.is_some());
    assert_eq!(b.tls.ca_file.as_deref(), Some(Path::new("/etc/flinkscope/certs/ca.pem")), "relative to the file");
    assert_eq!(loaded.settings.log_file.as_deref(), Some(Path::new("/etc/flinkscope/flinkscope.log")));
    assert!(loaded.settings.analysis.weights.is_some());
    let r = loaded.settings.rollback.as_ref().expect("the [rollback] section parses");
    assert_eq!(r.steps.len(), 2);
    assert_eq!(r.audit_log, Path::new("/etc/flinkscope/flinkscope-audit.jsonl"), "relative to the file");
    let rollout = loaded.settings.rollout.as_ref().expect("the [rollout] section parses");
    assert_eq!(rollout.stages[0].name, "1A");
    assert_eq!(loaded.settings.stage.as_deref(), Some("1A"));
    assert_eq!(
        rollout.state_path(loaded.settings.rollback.as_ref()),
        Path::new("/etc/flinkscope/flinkscope-rollout.json")
    );
}

#[test]
fn the_shipped_rollout_plan_has_the_plans_five_stages() {
    let text = include_str!("../../assets/rollout-plan.toml");
    let mut loaded = parse(text, Path::new("assets/rollout-plan.toml")).expect("assets/rollout-plan.toml parses");
    let r = loaded.settings.rollout.clone().unwrap();
    let names: Vec<&str> = r.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["1A", "1B", "2A", "2B", "2C"]);
    assert_eq!(r.stages[0].min_duration.0, std::time::Duration::from_secs(48 * 3600));
    assert!(r.stages.iter().all(|s| !s.success.is_empty() && !s.rollback_triggers.is_empty()));
    // A stage's scope is the variant while it is watched.
    loaded.baseline = Some(GroupConfig::new(RestUrl::new("http://a:1").unwrap()));
    loaded.variant = Some(GroupConfig::new(RestUrl::new("http://b:1").unwrap()));
    let mut scoped = loaded.clone();
    scoped.settings.rollout.as_mut().unwrap().stages[0].scope.jobs =
        Some(crate::config::JobSelector::parse("^orders-").unwrap());
    scoped.settings.stage = Some("1A".into());
    let c = scoped.finish().unwrap();
    assert!(c.variant.jobs.as_ref().unwrap().selects("0", "orders-eu") && c.baseline.jobs.is_none());
    let mut unknown = loaded;
    unknown.settings.stage = Some("3Z".into());
    let e = unknown.finish().unwrap_err().to_string();
    assert!(e.contains("no stage \"3Z\"") && e.contains("1A, 1B, 2A, 2B, 2C"), "{e}");
}

#[test]
fn a_stage_in_other_words_is_refused_with_its_line() {
    let text = "[rollout]\n[[rollout.stages]]\nname = \"1A\"\nmin-duration = \"1h\"\nsuccess = [\"vibes\"]\n";
    let e = parse(text, Path::new("x.toml")).unwrap_err().to_string();
    assert!(e.contains("unknown success criterion \"vibes\"") && e.contains("line 5"), "{e}");
    let text = "[rollout]\nstages = []\n[baseline]\nflink = \"http://a:1\"\n[variant]\nflink = \"http://b:1\"\n";
    let e = parse(text, Path::new("x.toml")).unwrap().finish().unwrap_err().to_string();
    assert!(e.contains("at least one"), "{e}");
}

fn with_rollback(steps: &str) -> Result<Config, ConfigError> {
    let text = format!(
        "[baseline]\nflink = \"http://a:1\"\n[variant]\nflink = \"http://b:1\"\n[rollback]\naudit-log = \"/tmp/a.jsonl\"\n{steps}"
    );
    parse(&text, Path::new("/tmp/flinkscope.toml"))?.finish()
}

#[test]
fn rollback_is_checked_at_start() {
    let ok = with_rollback("[[rollback.steps]]\nname = \"x\"\nargv = [\"true\", \"{variant.job_id}\"]\n").unwrap();
    let r = ok.settings.rollback.unwrap();
    assert_eq!(r.steps[0].timeout.0, std::time::Duration::from_secs(300));
    assert_eq!(r.lock_path(), Path::new("/tmp/a.jsonl.lock"));
    assert_eq!(r.workdir.as_deref(), Some(Path::new("/tmp")));
    for (steps, want) in [
        ("steps = []\n", "no steps"),
        ("[[rollback.steps]]\nname = \"x\"\nargv = [\"true\", \"{variant.jobid}\"]\n", "unknown placeholder"),
        ("[[rollback.steps]]\nname = \"x\"\nargv = [\"true\", \"--job={variant.job_id}\"]\n", "whole argv element"),
        ("[[rollback.steps]]\nname = \"x\"\nargv = [\"no-such-program-xyz\"]\n", "not found"),
        ("[[rollback.steps]]\nname = \"x\"\nargv = []\n", "argv is empty"),
        ("[[rollback.steps]]\nname = \"x\"\nargv = [\"true\"]\nshell = true\n", "shell"),
    ] {
        let e = with_rollback(steps).unwrap_err().to_string();
        assert!(e.contains(want), "{steps}: {e}");
    }
}

#[test]
fn analysis_and_alerts_sections() {
    let text = "[analysis]\nmin-samples = 8\nresource-margin = 5\ntest = \"welch\"\nprofile = \"latency\"\nblock = \"2s\"\n[alerts.throughput]\nthreshold = 20\nfor = \"30s\"\n[alerts.cpu]\nenabled = false\n";
    let s = parse_str(text).unwrap().settings;
    assert_eq!(s.analysis.judge.min_samples, 8);
    assert_eq!(s.analysis.judge.resource_margin, 0.05);
    assert_eq!(s.analysis.judge.test, crate::analysis::judge::TestKind::Welch);
    assert_eq!(s.analysis.verdict().weights, crate::analysis::verdict::Profile::Latency.weights());
    use crate::analysis::rules::{Hold, RuleId};
    let t = s.rules.rules[&RuleId::Throughput];
    assert_eq!(t.threshold, 20.0);
    assert_eq!(t.floor, 1.0, "keys not given keep their default");
    assert_eq!(t.hold, Hold::Duration(std::time::Duration::from_secs(30)));
    assert!(!s.rules.rules[&RuleId::Cpu].enabled);
    for (bad, key) in [
        ("[analysis]\nalpha = 2\n", "alpha"),
        ("[analysis]\nresource-margin = 80\n", "resource-margin"),
        ("[alerts.thruput]\nthreshold = 1\n", "thruput"),
        ("[alerts.cpu]\nthreshhold = 1\n", "threshhold"),
        ("[alerts.cpu]\nthreshold = -1\n", "threshold"),
        ("[analysis]\nprofile = \"fast\"\n", "profile"),
        ("[analysis]\npass-score = 40\n", "marginal-score"),
    ] {
        let msg = parse_str(bad).unwrap_err().to_string();
        assert!(msg.contains(key), "{bad}: {msg}");
    }
}

#[test]
fn unknown_keys_fail_with_name_and_line() {
    let cases = [
        ("interval = \"1s\"\nwindw = \"5m\"\n", "windw", 2),
        ("[baseline]\nflink = \"http://a:1\"\nflnk = \"x\"\n", "flnk", 3),
        ("[http]\nno-proxy = true\ntimeout = \"1s\"\n", "timeout", 3),
        ("[baseline]\nflink = \"http://a:1\"\n[baseline.auth]\ntokenfile = \"t\"\n", "tokenfile", 4),
    ];
    for (text, key, line) in cases {
        let msg = parse_str(text).unwrap_err().to_string();
        assert!(msg.contains(key), "{msg}");
        assert!(msg.contains(&format!("line {line}")), "{msg}");
    }
}

#[test]
fn bad_values_fail_with_name_and_line() {
    let cases = [
        ("interval = \"soon\"\n", "interval", 1),
        ("\nwindow = \"0s\"\n", "window", 2),
        ("[baseline]\nflink = \"ftp://x\"\n", "flink", 2),
        ("[baseline]\nflink = \"http://a:1\"\ntaskmanagers = \"(\"\n", "taskmanagers", 3),
        ("[http]\nmax-body = \"12 parsecs\"\n", "max-body", 2),
        ("theme = 3\n", "theme", 1),
    ];
    for (text, key, line) in cases {
        let msg = parse_str(text).unwrap_err().to_string();
        assert!(msg.contains(key), "{key}: {msg}");
        assert!(msg.contains(&format!("line {line}")), "{key}: {msg}");
    }
}

#[test]
fn groups_are_checked() {
    let missing = parse_str("[baseline]\nflink = \"http://a:1\"\n").unwrap().finish().unwrap_err();
    assert!(missing.to_string().contains("no variant group"), "{missing}");

    let same = "[baseline]\nflink = \"http://a:1\"\n[variant]\nflink = \"http://a:1\"\n";
    assert!(parse_str(same).unwrap().finish().unwrap_err().to_string().contains("taskmanagers"));

    let split = "[baseline]\nflink = \"http://a:1\"\ntaskmanagers = \"^b\"\n[variant]\nflink = \"http://a:1\"\ntaskmanagers = \"^v\"\n";
    assert!(parse_str(split).unwrap().finish().is_ok());

    let both_auth = "[baseline]\nflink = \"http://a:1\"\n[baseline.auth]\nuser = \"u\"\npassword-env = \"P\"\ntoken-env = \"T\"\n[variant]\nflink = \"http://b:1\"\n";
    assert!(parse_str(both_auth).unwrap().finish().unwrap_err().to_string().contains("not both"));

    let half_tls = "[baseline]\nflink = \"https://a:1\"\n[baseline.tls]\ncert-file = \"c.pem\"\n[variant]\nflink = \"http://b:1\"\n";
    assert!(parse_str(half_tls).unwrap().finish().unwrap_err().to_string().contains("go together"));

    let window = "window = \"2h\"\n[baseline]\nflink = \"http://a:1\"\n[variant]\nflink = \"http://b:1\"\n";
    assert!(parse_str(window).unwrap().finish().unwrap_err().to_string().contains("retention"));

    // 5 min of 10 s blocks hold 30: min-samples 40 could never be judged within a window.
    let groups = "[baseline]\nflink = \"http://a:1\"\n[variant]\nflink = \"http://b:1\"\n";
    let too_many = format!("[analysis]\nmin-samples = 40\n{groups}");
    let e = parse_str(&too_many).unwrap().finish().unwrap_err().to_string();
    for part in ["window (5m)", "block (10s)", "holds 30 blocks", "min-samples (40)"] {
        assert!(e.contains(part), "{part}: {e}");
    }
    let fits = format!("window = \"10m\"\n[analysis]\nmin-samples = 40\n{groups}");
    assert!(parse_str(&fits).unwrap().finish().is_ok());
    let zero = format!("[analysis]\nblock = \"0s\"\n{groups}");
    assert!(parse_str(&zero).is_err(), "a zero block is refused");
}

#[test]
fn command_line_overrides_the_file() {
    use clap::Parser;
    let file = parse_str("interval = \"5s\"\n[baseline]\nflink = \"http://a:1\"\n[baseline.auth]\ntoken-env = \"T\"\n[variant]\nflink = \"http://b:1\"\n").unwrap();
    let cli = crate::cli::Cli::parse_from(["flinkscope", "--interval", "2s", "--variant", "http://c:1"]);
    let config = cli.watch.apply(file.clone()).unwrap().finish().unwrap();
    assert_eq!(config.settings.interval.0, std::time::Duration::from_secs(2));
    assert_eq!(config.baseline.auth.token_env.as_deref(), Some("T"), "same URL keeps its auth");
    assert_eq!(config.variant.flink.as_ref().unwrap().0, "http://c:1");

    let cli = crate::cli::Cli::parse_from(["flinkscope", "--baseline", "http://elsewhere:1"]);
    let config = cli.watch.apply(file).unwrap().finish().unwrap();
    assert_eq!(config.baseline.auth, AuthConfig::default(), "credentials never follow a URL elsewhere");

    let cli = crate::cli::Cli::parse_from([
        "flinkscope",
        "--flink",
        "http://one:1",
        "--baseline-tm",
        "^b",
        "--variant-tm",
        "^v",
    ]);
    let config = cli.watch.apply(Loaded::default()).unwrap().finish().unwrap();
    assert_eq!(config.baseline.flink, config.variant.flink);
    assert!(config.baseline.taskmanagers.as_ref().unwrap().is_match("b-1"));

    let cli = crate::cli::Cli::parse_from(["flinkscope", "--flink", "http://one:1", "--baseline-tm", "^b"]);
    assert!(cli.watch.apply(Loaded::default()).is_err());
    assert!(
        crate::cli::Cli::try_parse_from(["flinkscope", "--flink", "http://one:1", "--baseline", "http://x:1"]).is_err()
    );
}

#[test]
fn a_group_may_be_prometheus_only_but_not_empty() {
    let text = "[baseline]\nprometheus = [\"http://a:9249/\"]\n[variant]\nprometheus = [\"http://b:9249/\"]\n";
    let config = parse_str(text).unwrap().finish().unwrap();
    assert_eq!(config.baseline.flink, None);
    assert_eq!(config.variant.describe(), "http://b:9249");

    let err = parse_str("[baseline]\ntaskmanagers = \"^a\"\n[variant]\nflink = \"http://b:1\"\n")
        .unwrap()
        .finish()
        .unwrap_err()
        .to_string();
    assert!(err.contains("[baseline] has no source"), "{err}");

    // One reporter list shared by both groups needs a TaskManager regex for each.
    let shared = "[baseline]\nprometheus = [\"http://a:9249/\"]\n[variant]\nprometheus = [\"http://a:9249/\"]\n";
    assert!(parse_str(shared).unwrap().finish().unwrap_err().to_string().contains("TaskManager regex"));

    use clap::Parser;
    let cli = crate::cli::Cli::parse_from([
        "flinkscope",
        "--baseline-prometheus",
        "http://a:9249/",
        "--variant-prometheus",
        "http://b:9249/",
    ]);
    let config = cli.watch.apply(Loaded::default()).unwrap().finish().unwrap();
    assert_eq!(config.baseline.prometheus.len(), 1);
    assert!(config.baseline.flink.is_none() && config.variant.flink.is_none());
}

#[test]
fn prometheus_server_tables_are_checked() {
    let ok = "[baseline.prometheus-server]\nurl = \"http://p:9090\"\nselector = '{job=\"flink\"}'\noffset = \"7d\"\n\
              [variant.prometheus-server]\nurl = \"http://p:9090\"\nselector = '{tm_id=~\"canary.*\"}'\n";
    let config = parse_str(ok).unwrap().finish().unwrap();
    let p = config.baseline.prometheus_server.as_ref().unwrap();
    assert_eq!(p.offset.unwrap().0, std::time::Duration::from_secs(7 * 86400));
    assert_eq!(p.scrape_interval.0, std::time::Duration::from_secs(15), "default");
    let bad = "[baseline.prometheus-server]\nurl = \"http://p:9090\"\nselector = 'job=\"flink\"'\n[variant]\nflink = \"http://b:1\"\n";
    let err = parse_str(bad).unwrap().finish().unwrap_err().to_string();
    assert!(err.contains("[baseline.prometheus-server]") && err.contains("selector"), "{err}");
    let missing = "[baseline.prometheus-server]\nurl = \"http://p:9090\"\n[variant]\nflink = \"http://b:1\"\n";
    assert!(parse_str(missing).unwrap_err().to_string().contains("selector"));
}

#[test]
fn a_recorded_baseline_is_the_baselines_only_source() {
    let text = "[baseline.recording]\npath = \"last-week.jsonl.zst\"\nwindow = \"10m..40m\"\nalign = \"time-of-day\"\n[variant]\nflink = \"http://b:1\"\n";
    let config = parse_str(text).unwrap().finish().unwrap();
    let r = config.baseline.recording.as_ref().expect("a recorded baseline");
    assert_eq!(r.path, Path::new("/etc/flinkscope/last-week.jsonl.zst"), "relative to the file");
    assert_eq!(r.align, Align::TimeOfDay);
    assert_eq!(r.window.unwrap().from, Some(std::time::Duration::from_secs(600)));
    let both =
        "[baseline]\nflink = \"http://a:1\"\n[baseline.recording]\npath = \"x\"\n[variant]\nflink = \"http://b:1\"\n";
    let e = parse_str(both).unwrap().finish().unwrap_err().to_string();
    assert!(e.contains("cannot poll live sources as well"), "{e}");
    let variant = "[baseline]\nflink = \"http://a:1\"\n[variant.recording]\npath = \"x\"\n";
    let e = parse_str(variant).unwrap().finish().unwrap_err().to_string();
    assert!(e.contains("only the baseline can come from a recording"), "{e}");
    let bad = "[baseline.recording]\npath = \"x\"\nwindow = \"40m..10m\"\n[variant]\nflink = \"http://b:1\"\n";
    assert!(parse_str(bad).unwrap_err().to_string().contains("ends before it begins"));
}
