//! The binary's command line: help, exit codes, config errors, a snapshot of dead endpoints.

use std::process::{Command, Output};

fn flinkscope(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_flinkscope"))
        .args(args)
        .current_dir(dir.path())
        .env("XDG_CONFIG_HOME", dir.path())
        .env("XDG_STATE_HOME", dir.path())
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn help_explains_every_way_to_say_what_to_watch() {
    let o = flinkscope(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    let help = String::from_utf8_lossy(&o.stdout);
    for needle in [
        "--baseline",
        "--variant",
        "--flink",
        "--baseline-tm",
        "--variant-tm",
        "--config",
        "--no-proxy",
        "--theme",
        "flinkscope.log",
        "snapshot",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}:\n{help}");
    }
}

#[test]
fn nothing_to_watch_is_a_usage_error() {
    let o = flinkscope(&["snapshot", "--duration", "1s"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no baseline group"), "{}", stderr(&o));
}

#[test]
fn bad_flags_exit_2() {
    for args in [
        vec!["--flink", "http://127.0.0.1:1", "--baseline-tm", "^b"],
        vec!["--baseline", "not a url", "--variant", "http://127.0.0.1:1"],
        vec!["--interval", "soon", "--baseline", "http://127.0.0.1:1", "--variant", "http://127.0.0.1:2"],
        vec!["--no-such-flag"],
        vec!["--theme", "no-such-theme", "--baseline", "http://127.0.0.1:1", "--variant", "http://127.0.0.1:2"],
        vec!["--config", "/no/such/file.toml"],
    ] {
        let o = flinkscope(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).is_empty(), "{args:?} says why");
    }
}

#[test]
fn a_broken_config_file_names_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flinkscope.toml");
    std::fs::write(&path, "[baseline]\nflink = \"http://127.0.0.1:8081\"\n\n[variant]\nflink = \"http://127.0.0.1:8082\"\nintervall = \"1s\"\n").unwrap();
    let o = flinkscope(&["--config", path.to_str().unwrap(), "snapshot", "--duration", "1s"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("intervall") && err.contains("line 6"), "{err}");
}

#[test]
fn snapshot_of_dead_endpoints_still_writes_the_document() {
    let dead = |_: ()| {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        format!("http://127.0.0.1:{port}")
    };
    let (b, v) = (dead(()), dead(()));
    let o = flinkscope(&["snapshot", "--duration", "2s", "--baseline", &b, "--variant", &v]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["version"], 1);
    let sources = doc["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 2);
    for s in sources {
        assert_eq!(s["state"], "failed");
        assert!(s["error"].as_str().unwrap().contains("cannot connect"), "{s}");
    }
    assert!(doc["groups"]["baseline"]["metrics"]["records_in_per_s"]["last"].is_null());
    assert!(doc["comparison"]["records_in_per_s"]["change_pct"].is_null());
    assert_eq!(doc["alerts"], serde_json::json!([]));
    assert!(doc["taken_at"].as_str().unwrap().contains('T'));
}

mod common;

/// HTTP_PROXY pointing at a dead proxy breaks polling; --no-proxy ignores it.
#[test]
fn no_proxy_ignores_the_proxy_variables() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let (b, v) = rt.block_on(async {
        (common::serve(common::Behaviour::Flink).await, common::serve(common::Behaviour::Flink).await)
    });
    let dead_proxy = {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        format!("http://127.0.0.1:{port}")
    };
    let run = |extra: &[&str]| {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_flinkscope"))
            .args(["snapshot", "--duration", "3s", "--baseline", &b, "--variant", &v, "--interval", "500ms"])
            .args(extra)
            .current_dir(dir.path())
            .env("XDG_CONFIG_HOME", dir.path())
            .env("XDG_STATE_HOME", dir.path())
            .env("HTTP_PROXY", &dead_proxy)
            .env("http_proxy", &dead_proxy)
            .env("ALL_PROXY", &dead_proxy)
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let states: Vec<String> =
            doc["sources"].as_array().unwrap().iter().map(|s| s["state"].as_str().unwrap().to_string()).collect();
        (states, doc["sources"].to_string())
    };
    let (states, detail) = run(&[]);
    assert_eq!(states, ["failed", "failed"], "the dead proxy is used without --no-proxy: {detail}");
    let (states, detail) = run(&["--no-proxy"]);
    assert_eq!(states, ["live", "live"], "{detail}");
}

/// A window that cannot hold min-samples blocks is refused before anything runs, by the
/// TUI, `check` and `snapshot` alike, naming the three values.
#[test]
fn a_window_too_short_for_min_samples_is_refused() {
    for cmd in [&[][..], &["check"][..], &["snapshot"][..]] {
        let mut args: Vec<&str> = cmd.to_vec();
        args.extend(["--baseline", "http://127.0.0.1:9", "--variant", "http://127.0.0.1:10", "--window", "2m"]);
        args.extend(["--min-samples", "20"]);
        let o = flinkscope(&args);
        assert_eq!(o.status.code(), Some(2), "{cmd:?}: {}", stderr(&o));
        let e = stderr(&o);
        for part in ["window (2m)", "block (10s)", "holds 12 blocks", "min-samples (20)"] {
            assert!(e.contains(part), "{cmd:?}: {part} in {e}");
        }
    }
}

/// A shared bastion: the log is created 0600 in a 0700 directory, a token file others can
/// read is warned about (without its content), and the log never holds the token or a
/// URL's password.
#[test]
fn files_are_private_and_a_readable_token_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "planted-s3cret-token").unwrap();
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o644)).unwrap();
    let config = dir.path().join("flinkscope.toml");
    std::fs::write(
        &config,
        format!(
            "[baseline]\nflink = \"http://127.0.0.1:9\"\n[baseline.auth]\ntoken-file = \"{}\"\n[variant]\nflink = \"http://127.0.0.1:10\"\n",
            token.display()
        ),
    )
    .unwrap();
    let state = dir.path().join("state");
    let o = Command::new(env!("CARGO_BIN_EXE_flinkscope"))
        .args(["--config", config.to_str().unwrap(), "snapshot", "--duration", "1s"])
        .current_dir(dir.path())
        .env("XDG_STATE_HOME", &state)
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let e = stderr(&o);
    assert!(e.contains("token-file") && e.contains("readable by others") && e.contains("chmod 600"), "{e}");
    assert!(!e.contains("planted-s3cret-token"), "{e}");
    let log = state.join("flinkscope/flinkscope.log");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&log), 0o600);
    assert_eq!(mode(log.parent().unwrap()), 0o700);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains("planted-s3cret-token"), "{text}");
    // A password in a URL is refused, and the refusal does not echo it.
    std::fs::write(&config, "[baseline]\nflink = \"http://admin:planted-pw@127.0.0.1:9\"\n").unwrap();
    let o = flinkscope(&["--config", config.to_str().unwrap(), "snapshot"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("credentials do not belong in the URL") && !e.contains("planted-pw"), "{e}");
}

/// Every file a run writes, walked from `dir` (the secret files themselves excepted).
fn files_under(dir: &std::path::Path, skip: &[&std::path::Path]) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p, skip));
        } else if !skip.contains(&p.as_path()) {
            out.push(p);
        }
    }
    out
}

/// The credentials flinkscope sends come back from a server that quotes them in its 401
/// (as some proxies' error pages do), on every source kind; no file the run wrote (log,
/// check JSON, snapshot), nor its stdout or stderr, holds them, and the echo was really
/// seen (redacted).
#[test]
fn no_file_a_run_writes_holds_a_credential() {
    use base64::Engine;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let (echo, echo_v) = rt.block_on(async {
        (
            common::serve(common::Behaviour::EchoesCredentials).await,
            common::serve(common::Behaviour::EchoesCredentials).await,
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let (token, password) = ("planted-token-7f3a9e", "planted-pw-51c2d0");
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("ops:{password}"));
    let (token_file, password_file) = (dir.path().join("token"), dir.path().join("password"));
    std::fs::write(&token_file, token).unwrap();
    std::fs::write(&password_file, password).unwrap();
    for f in [&token_file, &password_file] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let config = dir.path().join("flinkscope.toml");
    std::fs::write(
        &config,
        format!(
            "[baseline]\nflink = \"{echo}\"\nprometheus = [\"{echo}/metrics\"]\n[baseline.auth]\ntoken-file = \"{}\"\n\
             [variant]\nflink = \"{echo_v}\"\njolokia = [\"{echo_v}/jolokia\"]\n[variant.auth]\nuser = \"ops\"\npassword-file = \"{}\"\n",
            token_file.display(),
            password_file.display()
        ),
    )
    .unwrap();
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let run = |args: &[&str], name: &str| {
        let o = Command::new(env!("CARGO_BIN_EXE_flinkscope"))
            .args(["--config", config.to_str().unwrap(), "--interval", "500ms"])
            .args(args)
            .current_dir(&out_dir)
            .env("XDG_STATE_HOME", dir.path().join("state"))
            .env("RUST_LOG", "debug")
            .output()
            .unwrap();
        std::fs::write(out_dir.join(format!("{name}.stdout")), &o.stdout).unwrap();
        std::fs::write(out_dir.join(format!("{name}.stderr")), &o.stderr).unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{name}: not JSON ({e}): {}", String::from_utf8_lossy(&o.stderr)));
        doc
    };
    let check = run(&["check", "--duration", "3s", "--format", "json"], "check");
    run(&["snapshot", "--duration", "2s"], "snapshot");

    let files = files_under(dir.path(), &[&token_file, &password_file, &config]);
    assert!(files.iter().any(|f| f.ends_with("state/flinkscope/flinkscope.log")), "{files:?}");
    let mut redacted = false;
    for f in &files {
        let text = String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned();
        for secret in [token, password, basic.as_str()] {
            assert!(!text.contains(secret), "{} holds a credential:\n{text}", f.display());
        }
        redacted |= text.contains("[redacted]");
    }
    assert!(redacted, "the server's echo of the credential was never seen: {}", check["sources"]);
}

/// `report` from the binary: a recording of two dead endpoints gives a page and its JSON
/// (an undecided run, named), a missing file exits 2 with its name.
#[test]
fn report_writes_the_page_and_json_of_a_recording() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("dead.jsonl.zst");
    let rec_s = rec.to_str().unwrap();
    let o = flinkscope(&[
        "record",
        "--duration",
        "3s",
        "-o",
        rec_s,
        "--name",
        "T2.1 dead",
        "--baseline",
        "http://127.0.0.1:9",
        "--variant",
        "http://127.0.0.1:10",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let md = dir.path().join("result.md");
    let json = dir.path().join("result.json");
    let o = flinkscope(&["report", rec_s, "-o", md.to_str().unwrap(), "--json", json.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = std::fs::read_to_string(&md).unwrap();
    assert!(page.starts_with("# Test Result: T2.1 dead\n"), "{page}");
    assert!(page.contains("**INCONCLUSIVE**"), "{page}");
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(doc["verdict"]["outcome"], "INCONCLUSIVE");
    assert_eq!(doc["details"]["runs"], 1);
    let o = flinkscope(&["report", "/nonexistent/x.jsonl.zst"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/nonexistent/x.jsonl.zst"), "{}", stderr(&o));
}

/// The shipped demo (recorded from the real 2.3.0 lab, README "Two commands": 4 minutes
/// healthy, the variant's TaskManagers restarted with 1 MiB network memory, one killed)
/// replays into what it shows: the starved setting, the lost TaskManager, a FAIL.
#[test]
fn the_demo_recording_replays_into_its_story() {
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo.jsonl.zst");
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("demo.json");
    let o = flinkscope(&[
        "report",
        demo,
        "-o",
        dir.path().join("demo.md").to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(doc["verdict"]["outcome"], "FAIL");
    let rules: Vec<&str> = doc["alerts"].as_array().unwrap().iter().map(|a| a["rule"].as_str().unwrap()).collect();
    assert!(rules.contains(&"taskmanager-failures") && rules.contains(&"job-failures"), "{rules:?}");
    let changed = doc["configuration"].as_array().unwrap();
    assert!(
        changed.iter().any(|c| c["key"] == "taskmanager.memory.network.max" && c["variant"] == "1 mb"),
        "{changed:?}"
    );
    assert!(doc["details"]["duration_s"].as_f64().unwrap() > 600.0);
}

/// `--baseline-from`: the demo recording's baseline plays beside a live variant (a server
/// answering captured Flink responses), as live sources would: the recording's sources,
/// their metrics, its job; a flag that would poll a live baseline as well is refused.
#[test]
fn a_recorded_baseline_plays_beside_a_live_variant() {
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo.jsonl.zst");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let v = rt.block_on(common::serve(common::Behaviour::Flink));
    let o = flinkscope(&["snapshot", "--duration", "4s", "--baseline-from", demo, "--variant", &v]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let sources: Vec<(String, String)> = doc["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap().into(), s["state"].as_str().unwrap().into()))
        .collect();
    for name in ["baseline/flink-rest", "baseline/host", "variant/flink-rest"] {
        assert!(sources.contains(&(name.into(), "live".into())), "{name} live: {sources:?}");
    }
    let b = &doc["groups"]["baseline"];
    assert_eq!(b["job_name"], "flinkscope-lab-baseline", "the recorded job");
    let rate = b["metrics"]["records_in_per_s"]["mean"].as_f64().unwrap();
    assert!((3000.0..5000.0).contains(&rate), "the lab's ~4000 records/s: {rate}");
    let rss = &b["metrics"]["process_rss_bytes"];
    assert!(rss["source"] == "host" && rss["samples"].as_u64().unwrap() >= 1, "the recorded host's figures: {rss}");

    let both = flinkscope(&["snapshot", "--baseline-from", demo, "--baseline", &v, "--variant", &v]);
    assert_eq!(both.status.code(), Some(2));
    assert!(stderr(&both).contains("cannot be used with"), "{}", stderr(&both));
    let missing = flinkscope(&["snapshot", "--baseline-from", "/nonexistent.jsonl.zst", "--variant", &v]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("--baseline-from: cannot open /nonexistent.jsonl.zst"), "{}", stderr(&missing));
}

/// Installs like a tool: completions and man pages come from the clap definitions (so
/// they know every flag), `--version` names the commit.
#[test]
fn completions_man_pages_and_the_version_come_from_the_definitions() {
    let bash = flinkscope(&["completions", "bash"]);
    assert_eq!(bash.status.code(), Some(0), "{}", stderr(&bash));
    let script = String::from_utf8(bash.stdout).unwrap();
    assert!(script.contains("--baseline-from") && script.contains("replay"), "every flag and subcommand");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flinkscope.bash");
    std::fs::write(&path, &script).unwrap();
    let syntax = std::process::Command::new("bash").arg("-n").arg(&path).output().unwrap();
    assert!(syntax.status.success(), "bash -n: {}", String::from_utf8_lossy(&syntax.stderr));
    for shell in ["zsh", "fish"] {
        let o = flinkscope(&["completions", shell]);
        assert!(o.status.success() && String::from_utf8_lossy(&o.stdout).contains("baseline-from"), "{shell}");
    }
    assert_eq!(flinkscope(&["completions", "tcsh"]).status.code(), Some(2), "an unknown shell is a usage error");

    let man = flinkscope(&["man"]);
    let page = String::from_utf8(man.stdout).unwrap();
    assert!(page.starts_with(".ie") || page.contains(".TH flinkscope"), "roff: {}", &page[..page.len().min(200)]);
    assert!(page.contains("baseline\\-from"), "the flags are in the page");
    let o = flinkscope(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for name in ["flinkscope.1", "flinkscope-check.1", "flinkscope-record.1"] {
        assert!(dir.path().join(name).is_file(), "{name} written");
    }

    let v = String::from_utf8(flinkscope(&["--version"]).stdout).unwrap();
    let commit = v.trim().strip_suffix(')').and_then(|s| s.split("(commit ").nth(1)).unwrap_or_else(|| panic!("{v}"));
    assert!(
        commit == "unknown" || commit.len() == 12 && commit.chars().all(|c| c.is_ascii_hexdigit()),
        "a 12-digit commit: {v}"
    );
    assert!(v.starts_with(&format!("flinkscope {}", env!("CARGO_PKG_VERSION"))), "{v}");
}
