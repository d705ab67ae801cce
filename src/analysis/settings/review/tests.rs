use super::*;
use crate::model::settings::TaskManagerSettings;
use crate::sources::flink_rest::settings::parse_log;

const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/");

/// A group read from a captured lab TaskManager log (2.3.0: the variant was started with
/// `scripts/lab.sh up --variant-conf` holding server.numThreads 3, buffers-per-channel 4
/// and the typo buffer-debloat.enable).
fn group(version: &str, logs: &[(&str, &str)]) -> GroupSettings {
    GroupSettings {
        flink_version: Some(version.into()),
        taskmanagers: logs
            .iter()
            .map(|(id, file)| {
                let l = parse_log(&std::fs::read_to_string(format!("{FIX}{file}")).unwrap());
                TaskManagerSettings {
                    id: id.to_string(),
                    given: l.given,
                    netty: l.netty,
                    netty_line: l.netty_line,
                    ..Default::default()
                }
            })
            .collect(),
        ..Default::default()
    }
}

fn tm(id: &str, given: &[(&str, &str)], netty: &[(&str, &str)]) -> TaskManagerSettings {
    TaskManagerSettings {
        id: id.into(),
        given: given.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        netty: netty.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        ..Default::default()
    }
}

fn row<'a>(r: &'a Review, key: &str) -> &'a Row {
    r.rows.iter().find(|r| r.opt.key == key).unwrap_or_else(|| panic!("no row {key}"))
}

#[test]
fn on_2_3_the_classic_keys_and_a_typo_are_changes_not_in_effect() {
    let b = group("2.3.0", &[("tm-base-1", "flink-2.3.0/taskmanager-log-baseline.txt")]);
    let v = group("2.3.0", &[("tm-var-1", "flink-2.3.0/taskmanager-log-variant.txt")]);
    let r = review([Input { settings: Some(&b), intended: None }, Input { settings: Some(&v), intended: None }], false);
    let blocking = r.blocking();
    assert!(blocking.iter().any(|m| m.contains("server.numThreads = 3 is ignored")), "{blocking:#?}");
    assert!(
        blocking.iter().any(
            |m| m.contains("buffers-per-channel = 4 is ignored") && m.contains("read-buffer.required-per-gate.max")
        ),
        "{blocking:#?}"
    );
    assert!(
        blocking.iter().any(|m| m.contains("buffer-debloat.enable is no Flink 2.3.0 option: did you mean taskmanager.network.memory.buffer-debloat.enabled?")),
        "{blocking:#?}"
    );
    assert!(r.warnings.iter().all(|w| w.group != Some(Group::Baseline) || !w.kind.is_error()), "{:#?}", r.warnings);
    // What differs for real: the variant's network fraction and debloating.
    let f = row(&r, "taskmanager.memory.network.fraction");
    assert!(f.differs, "{f:?}");
    assert_eq!((f.cells[0].text.as_str(), f.cells[1].text.as_str()), ("0.1", "0.15"));
    assert_eq!(f.cells[0].origin, Some(Origin::Default));
    assert!(row(&r, "taskmanager.network.memory.buffer-debloat.enabled").differs);
    // Netty runs one thread per slot on both: the same, whatever the variant was given.
    let t = row(&r, "taskmanager.network.memory.buffers-per-channel");
    assert_eq!(t.cells[1].text, "4 (ignored)");
    assert_eq!(t.cells[0].text, "—");
    assert!(!row(&r, "taskmanager.memory.segment-size").differs);
}

#[test]
fn identical_groups_have_no_warning_and_no_difference() {
    let b = group("2.3.0", &[("tm-base-1", "flink-2.3.0/taskmanager-log-baseline.txt")]);
    let r = review([Input { settings: Some(&b), intended: None }, Input { settings: Some(&b), intended: None }], true);
    assert!(r.warnings.is_empty(), "{:#?}", r.warnings);
    assert!(r.rows.iter().all(|r| !r.differs));
    assert!(r.rows.len() >= crate::analysis::settings::catalogue::PLAN_MATRIX.len());
}

#[test]
fn an_intended_value_the_netty_line_contradicts_is_not_in_effect() {
    // 1.20: the variant's file asks for 4 server threads; one TaskManager was started by
    // hand without it and Netty runs 2.
    let v = GroupSettings {
        flink_version: Some("1.20.5".into()),
        taskmanagers: vec![
            tm(
                "tm-var-1",
                &[("taskmanager.network.netty.server.numThreads", "4")],
                &[("number of server threads", "4 (manual)")],
            ),
            tm("tm-var-2", &[], &[("number of server threads", "2 (manual)")]),
        ],
        ..Default::default()
    };
    let intended: BTreeMap<String, String> =
        [("taskmanager.network.netty.server.numThreads".to_string(), "4".to_string())].into();
    let b = GroupSettings {
        flink_version: Some("1.20.5".into()),
        taskmanagers: vec![tm("tm-base-1", &[], &[])],
        ..Default::default()
    };
    let r = review(
        [Input { settings: Some(&b), intended: None }, Input { settings: Some(&v), intended: Some(&intended) }],
        false,
    );
    let blocking = r.blocking();
    assert_eq!(blocking.len(), 1, "{blocking:#?}");
    assert!(
        blocking[0].contains("tm-var-2 runs 2 (NettyConfig)") && !blocking[0].contains("tm-var-1"),
        "{}",
        blocking[0]
    );
    let d = r.warnings.iter().find(|w| w.kind == WarningKind::Disagree).expect("the two disagree");
    assert!(d.message.contains("tm-var-1 4") && d.message.contains("tm-var-2 2"), "{}", d.message);
    assert_eq!(row(&r, "taskmanager.network.netty.server.numThreads").cells[1].text, "2 / 4 (mixed)");
}

#[test]
fn given_but_not_applied_on_1_20_without_a_file() {
    let v = GroupSettings {
        flink_version: Some("1.20.5".into()),
        taskmanagers: vec![tm(
            "tm-var-1",
            &[("taskmanager.network.netty.client.numThreads", "4")],
            &[("number of client threads", "2 (manual)")],
        )],
        ..Default::default()
    };
    let r = review([Input::default(), Input { settings: Some(&v), intended: None }], false);
    assert!(r.blocking().iter().any(|m| m.contains("client.numThreads = 4 is not in effect")), "{:#?}", r.warnings);
    assert_eq!(row(&r, "taskmanager.network.netty.client.numThreads").cells[0].text, "?", "baseline not read yet");
}

#[test]
fn a_segment_size_mismatch_matters_only_between_groups_that_exchange_data() {
    let g = |size: &str| GroupSettings {
        flink_version: Some("2.3.0".into()),
        taskmanagers: vec![tm("t", &[("taskmanager.memory.segment-size", size)], &[])],
        ..Default::default()
    };
    let (b, v) = (g("32kb"), g("64kb"));
    let inputs = [Input { settings: Some(&b), intended: None }, Input { settings: Some(&v), intended: None }];
    assert!(review(inputs, true).warnings.iter().any(|w| w.kind == WarningKind::SegmentMismatch));
    assert!(!review(inputs, false).warnings.iter().any(|w| w.kind == WarningKind::SegmentMismatch));
    let same = g("32768");
    let r =
        review([Input { settings: Some(&b), intended: None }, Input { settings: Some(&same), intended: None }], true);
    assert!(!row(&r, "taskmanager.memory.segment-size").differs, "32kb is 32768 bytes");
}

#[test]
fn the_baseline_setting_a_removed_key_is_a_note_not_a_blocker() {
    let g = GroupSettings {
        flink_version: Some("2.3.0".into()),
        taskmanagers: vec![tm("t", &[("taskmanager.network.netty.transport", "epoll")], &[])],
        ..Default::default()
    };
    let r = review([Input { settings: Some(&g), intended: None }, Input { settings: Some(&g), intended: None }], false);
    assert!(r.blocking().is_empty(), "{:#?}", r.warnings);
    assert_eq!(r.warnings.iter().filter(|w| w.kind == WarningKind::Ignored).count(), 2, "{:#?}", r.warnings);
}

#[test]
fn on_1_20_the_classic_keys_are_in_effect_and_netty_confirms_them() {
    // Captured from the 1.20.5 lab: the variant runs 4 Netty threads, EPOLL, 4 buffers per
    // channel and 16 floating buffers per gate; the baseline Flink's defaults.
    let b = group("1.20.5", &[("tm-base-1", "flink-1.20.5/taskmanager-log-baseline.txt")]);
    let v = group("1.20.5", &[("tm-var-1", "flink-1.20.5/taskmanager-log-variant.txt")]);
    let r = review([Input { settings: Some(&b), intended: None }, Input { settings: Some(&v), intended: None }], false);
    assert!(r.blocking().is_empty(), "{:#?}", r.warnings);
    let t = row(&r, "taskmanager.network.netty.server.numThreads");
    assert_eq!((t.cells[0].text.as_str(), t.cells[1].text.as_str()), ("1", "4"));
    assert_eq!(t.cells[1].origin, Some(Origin::Netty));
    assert!(row(&r, "taskmanager.network.netty.transport").differs);
    let bpc = row(&r, "taskmanager.network.memory.buffers-per-channel");
    assert_eq!((bpc.cells[0].text.as_str(), bpc.cells[1].text.as_str()), ("2", "4"));
    assert_eq!(bpc.cells[0].origin, Some(Origin::Default));
}

#[test]
fn the_buffer_budget_warns_before_flink_refuses_to_deploy() {
    use crate::model::settings::{JobSettings, PlanVertex};
    let plan = vec![
        PlanVertex { id: "src".into(), parallelism: 2, ..Default::default() },
        PlanVertex {
            id: "sink".into(),
            parallelism: 2,
            inputs: vec![("src".into(), "HASH".into())],
            ..Default::default()
        },
    ];
    let g = |network: u64| GroupSettings {
        flink_version: Some("2.3.0".into()),
        job: Some(JobSettings { plan: plan.clone(), ..Default::default() }),
        taskmanagers: ["t1", "t2"]
            .map(|id| TaskManagerSettings {
                id: id.into(),
                memory: [("networkMemory".to_string(), network)].into(),
                ..Default::default()
            })
            .to_vec(),
        ..Default::default()
    };
    let (b, v) = (g(64 << 20), g(5 * 32 * 1024));
    let r = review([Input { settings: Some(&b), intended: None }, Input { settings: Some(&v), intended: None }], false);
    assert_eq!(r.budget[0].map(|x| (x.needs, x.has)), Some((6, 2048)));
    assert_eq!(r.budget[1].map(|x| (x.needs, x.has)), Some((6, 5)));
    let w: Vec<_> = r.warnings.iter().filter(|w| w.kind == WarningKind::Budget).collect();
    assert_eq!(w.len(), 1, "{w:#?}");
    assert_eq!(w[0].group, Some(Group::Variant));
    assert!(w[0].message.contains("need 6 network buffers on a TaskManager that has 5"), "{}", w[0].message);
    // Seven buffers: it fits, but at 86% it is close.
    let tight = g(7 * 32 * 1024);
    let r =
        review([Input { settings: Some(&b), intended: None }, Input { settings: Some(&tight), intended: None }], false);
    assert!(r.warnings.iter().any(|w| w.kind == WarningKind::Budget && w.message.contains("needs 6 of 7 buffers")));
}
