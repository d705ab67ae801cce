//! The settings view against the real lab: what each group's TaskManagers run, read from
//! Flink itself. On 2.3.0 the lab's variant runs only keys 2.x honours (network fraction,
//! debloating, buffer timeout): `flinkscope settings` with the shipped defaults passes and
//! shows those as the differences. Then one variant TaskManager is restarted with the test
//! plan's classic Netty keys and a typo: 2.3.0 ignores them, and flinkscope says so (exit 1,
//! and `check` cannot PASS). On 1.20.5 the same classic keys are in effect (the lab's
//! variant runs them): exit 0, the NettyConfig line confirming them.
//!
//! This changes the variant (and puts it back): scripts/test.sh runs it after the lab tests
//! that only read.

#[path = "labkit/mod.rs"]
mod labkit;
use labkit::*;
use serde_json::Value;

fn settings(extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["settings", "--baseline", BASELINE, "--variant", VARIANT, "--format", "json"];
    args.extend_from_slice(extra);
    let out = flinkscope(&args);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    });
    (out.status.code().unwrap_or(-1), doc)
}

fn row<'a>(doc: &'a Value, key: &str) -> &'a Value {
    doc["rows"].as_array().unwrap().iter().find(|r| r["key"] == key).unwrap_or_else(|| panic!("no row {key}: {doc}"))
}

fn warnings(doc: &Value) -> Vec<String> {
    doc["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| format!("{} {}", w["kind"].as_str().unwrap(), w["message"].as_str().unwrap()))
        .collect()
}

#[test]
fn lab_settings_show_what_each_flink_runs() {
    let v = flink_version();
    wait_until("both groups' jobs running", 180, || {
        runs_on(BASELINE, &["tm-base-1", "tm-base-2"]) && runs_on(VARIANT, &["tm-var-1", "tm-var-2"])
    });
    // The shipped defaults: no flag but the two URLs.
    let (code, doc) = settings(&[]);
    assert_eq!(code, 0, "every change in effect: {:#?}", warnings(&doc));
    assert_eq!(doc["variant"]["flink_version"], v.as_str());
    let fraction = row(&doc, "taskmanager.memory.network.fraction");
    assert_eq!(
        (fraction["baseline"].as_str(), fraction["variant"].as_str(), fraction["differs"].as_bool()),
        (Some("0.1"), Some("0.15"), Some(true))
    );
    assert_eq!(row(&doc, "taskmanager.network.memory.buffer-debloat.enabled")["variant"], "true");
    let net = |g: &str| doc[g]["network_memory_bytes"]["min"].as_u64().unwrap();
    assert!(
        net("variant") > net("baseline"),
        "a larger fraction gives more network memory: {} vs {}",
        net("variant"),
        net("baseline")
    );
    for tm in doc["variant"]["taskmanagers"].as_array().unwrap() {
        assert!(tm["netty_config"].as_str().is_some_and(|l| l.starts_with("NettyConfig [")), "{tm}");
    }
    assert!(warnings(&doc).iter().all(|w| !w.starts_with("NOT IN EFFECT")), "{:#?}", warnings(&doc));

    if v.starts_with("1.") {
        // 1.20 honours the classic keys the lab's variant runs, and Netty says it applied them.
        let threads = row(&doc, "taskmanager.network.netty.server.numThreads");
        assert_eq!(threads["variant"], "4", "{threads}");
        assert!(threads["differs"].as_bool().unwrap());
        assert_eq!(row(&doc, "taskmanager.network.memory.buffers-per-channel")["variant"], "4");
        assert!(
            row(&doc, "taskmanager.network.netty.transport")["variant"].as_str().unwrap().eq_ignore_ascii_case("epoll")
        );
        return;
    }

    // 2.3.0: one variant TaskManager restarted with the test plan's classic keys and a typo.
    let extra = std::env::temp_dir().join(format!("flinkscope-lab-classic-{}.yaml", std::process::id()));
    std::fs::write(
        &extra,
        "taskmanager.network.netty.server.numThreads: 3\n\
         taskmanager.network.memory.buffers-per-channel: 4\n\
         taskmanager.network.memory.buffer-debloat.enable: true\n",
    )
    .unwrap();
    lab(&["reconf-tm", "tm-var-2", extra.to_str().unwrap()]);
    let restored = std::panic::catch_unwind(|| {
        wait_until("tm-var-2 back with the classic keys and the job running", 240, || {
            runs_on(VARIANT, &["tm-var-1", "tm-var-2"])
        });
        let (code, doc) = settings(&[]);
        let w = warnings(&doc);
        assert_eq!(code, 1, "an intended change not in effect: {w:#?}");
        assert!(
            w.iter().any(|m| m.starts_with("NOT IN EFFECT") && m.contains("server.numThreads = 3 is ignored")),
            "{w:#?}"
        );
        assert!(
            w.iter().any(|m| m.contains("buffer-debloat.enable is no Flink 2.3.0 option: did you mean taskmanager.network.memory.buffer-debloat.enabled?")),
            "{w:#?}"
        );
        assert_eq!(row(&doc, "taskmanager.network.netty.server.numThreads")["variant"], "3 (ignored)");
        // Netty still runs one thread per slot on tm-var-2, as on the others.
        let tm2 =
            doc["variant"]["taskmanagers"].as_array().unwrap().iter().find(|t| t["id"] == "tm-var-2").unwrap().clone();
        assert!(tm2["netty_config"].as_str().unwrap().contains("number of server threads: 1"), "{tm2}");
        // The headless gate knows it too: no PASS while it holds.
        let out = flinkscope(&[
            "check",
            "--baseline",
            BASELINE,
            "--variant",
            VARIANT,
            "--duration",
            "20s",
            "--format",
            "json",
        ]);
        let check: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(check["verdict"]["result"], "INCONCLUSIVE", "{}", check["verdict"]);
        let reasons = check["verdict"]["reasons"].to_string();
        assert!(
            reasons.contains("settings: variant: taskmanager.network.netty.server.numThreads = 3 is ignored"),
            "{reasons}"
        );
        assert_eq!(out.status.code(), Some(3));
    });
    lab(&["reconf-tm", "tm-var-2"]);
    wait_until("tm-var-2 back with the variant's settings", 240, || runs_on(VARIANT, &["tm-var-1", "tm-var-2"]));
    let _ = std::fs::remove_file(&extra);
    if let Err(e) = restored {
        std::panic::resume_unwind(e);
    }
    let (code, doc) = settings(&[]);
    assert_eq!(code, 0, "put back: {:#?}", warnings(&doc));
}

/// An intended configuration file (nested YAML) for the variant, compared with what its
/// TaskManagers run: a key set in the file but not in effect is reported per TaskManager.
#[test]
fn lab_intended_config_file_is_compared_with_the_taskmanagers() {
    wait_until("both groups' jobs running", 180, || {
        runs_on(BASELINE, &["tm-base-1", "tm-base-2"]) && runs_on(VARIANT, &["tm-var-1", "tm-var-2"])
    });
    let dir = std::env::temp_dir().join(format!("flinkscope-lab-intended-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("config.yaml");
    // What the lab's variant runs, plus a fraction it does not run.
    std::fs::write(
        &file,
        "taskmanager:\n  memory:\n    network:\n      fraction: 0.2\n  network:\n    memory:\n      buffer-debloat:\n        enabled: true\n",
    )
    .unwrap();
    let (code, doc) = settings(&["--variant-flink-config", file.to_str().unwrap()]);
    let w = warnings(&doc);
    assert_eq!(code, 1, "{w:#?}");
    let fraction: Vec<&String> =
        w.iter().filter(|m| m.contains("taskmanager.memory.network.fraction = 0.2 is not in effect")).collect();
    assert_eq!(fraction.len(), 1, "{w:#?}");
    assert!(
        fraction[0].contains("tm-var-1 runs 0.15") && fraction[0].contains("tm-var-2 runs 0.15"),
        "{}",
        fraction[0]
    );
    assert!(!w.iter().any(|m| m.contains("buffer-debloat.enabled")), "debloating is in effect: {w:#?}");
    // A file that is not a Flink configuration is a clear start-up error (exit 2).
    std::fs::write(&file, "- just\n- a list\n").unwrap();
    let out = flinkscope(&[
        "settings",
        "--baseline",
        BASELINE,
        "--variant",
        VARIANT,
        "--variant-flink-config",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("flink-config"), "{}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The buffer budget on the real lab: one variant TaskManager restarted with network memory
/// for 5 buffers, where the job's tasks reserve 6 (2.3.0; 8 on 1.20.5 with the variant's 4
/// buffers per channel). flinkscope warns as soon as it reads the TaskManager, from the
/// job's plan and the network memory alone; Flink refuses the deployment when the job
/// restarts onto it (the lab's fixed restart delay is 45 s), with "Insufficient number of
/// network buffers". The warning comes first.
#[test]
fn lab_buffer_budget_warns_before_flink_refuses_to_deploy() {
    wait_until("both groups' jobs running", 180, || {
        runs_on(BASELINE, &["tm-base-1", "tm-base-2"]) && runs_on(VARIANT, &["tm-var-1", "tm-var-2"])
    });
    let (_, doc) = settings(&[]);
    let needs = doc["variant"]["buffer_budget"]["needs"].as_u64().expect("a budget for the running job");
    assert_eq!(needs, if flink_version().starts_with("1.") { 8 } else { 6 }, "{}", doc["variant"]["buffer_budget"]);
    assert!(doc["variant"]["buffer_budget"]["has"].as_u64().unwrap() > 1000);
    let extra = std::env::temp_dir().join(format!("flinkscope-lab-small-network-{}.yaml", std::process::id()));
    std::fs::write(&extra, "taskmanager.memory.network.min: 160kb\ntaskmanager.memory.network.max: 160kb\n").unwrap();
    lab(&["reconf-tm", "tm-var-2", extra.to_str().unwrap()]);
    let outcome = std::panic::catch_unwind(|| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        let warned_at = loop {
            let (_, doc) = settings(&[]);
            let w = warnings(&doc);
            if let Some(m) = w.iter().find(|m| m.starts_with("BUFFERS")) {
                assert!(m.contains(&format!("need {needs} network buffers on a TaskManager that has 5")), "{m}");
                break std::time::SystemTime::now();
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no budget warning: {w:#?} {}",
                doc["variant"]["buffer_budget"]
            );
            std::thread::sleep(std::time::Duration::from_millis(500));
        };
        let warned_ms = warned_at.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
        // Flink's refusal, from the job's exception history.
        let mut refused_ms = None;
        wait_until("Flink to refuse the deployment for lack of buffers", 240, || {
            let Some(jobs) = get(&format!("{VARIANT}/jobs/overview")) else { return false };
            for j in jobs["jobs"].as_array().into_iter().flatten() {
                let Some(e) =
                    get(&format!("{VARIANT}/jobs/{}/exceptions?maxExceptions=20", j["jid"].as_str().unwrap()))
                else {
                    continue;
                };
                for x in e["exceptionHistory"]["entries"].as_array().into_iter().flatten() {
                    if x["stacktrace"].as_str().is_some_and(|s| s.contains("Insufficient number of network buffers")) {
                        return true;
                    }
                }
            }
            false
        });
        if let Some(jobs) = get(&format!("{VARIANT}/jobs/overview")) {
            for j in jobs["jobs"].as_array().into_iter().flatten() {
                if let Some(e) =
                    get(&format!("{VARIANT}/jobs/{}/exceptions?maxExceptions=20", j["jid"].as_str().unwrap()))
                {
                    for x in e["exceptionHistory"]["entries"].as_array().into_iter().flatten() {
                        if x["stacktrace"]
                            .as_str()
                            .is_some_and(|s| s.contains("Insufficient number of network buffers"))
                        {
                            let t = x["timestamp"].as_i64().unwrap();
                            refused_ms = Some(refused_ms.map_or(t, |r: i64| r.min(t)));
                        }
                    }
                }
            }
        }
        let refused_ms = refused_ms.expect("the refusal's timestamp");
        assert!(warned_ms < refused_ms, "flinkscope warned at {warned_ms}, Flink refused at {refused_ms}");
    });
    lab(&["reconf-tm", "tm-var-2"]);
    wait_until("tm-var-2 back with the variant's settings", 300, || runs_on(VARIANT, &["tm-var-1", "tm-var-2"]));
    let _ = std::fs::remove_file(&extra);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e);
    }
}
