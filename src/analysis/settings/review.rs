//! The side-by-side review: one row per network option (baseline | variant | default) and
//! the warnings an operator must see before trusting a canary: a key the running Flink
//! ignores, an intended change not in effect, TaskManagers of a group that disagree, a
//! segment size that differs between groups that exchange data.

use std::collections::BTreeMap;

use super::budget::{self, Budget};
use super::catalogue::{self, Category, Line, OPTIONS, Opt, PLAN_MATRIX, Status};
use super::effective::{self, Origin};
use super::values::{same, show_default};
use crate::model::Group;
use crate::model::settings::GroupSettings;

/// What the review is made from, per group.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Input<'a> {
    /// The latest read of the group's settings; `None` before the first.
    pub(crate) settings: Option<&'a GroupSettings>,
    /// The group's intended configuration (`flink-config`), flattened.
    pub(crate) intended: Option<&'a BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum WarningKind {
    /// A change someone meant to make that the TaskManagers do not run with: the canary
    /// would compare two equal settings. It keeps the verdict from PASS.
    NotInEffect,
    /// The groups exchange data with different segment sizes: the shuffle breaks.
    SegmentMismatch,
    /// TaskManagers of one group run different values.
    Disagree,
    /// A key set that this Flink ignores (not a change between the groups).
    Ignored,
    /// A network-looking key that is no option of this Flink.
    Unknown,
    /// The job's tasks reserve more network buffers than a TaskManager has (or nearly).
    Budget,
    /// A part of the settings could not be read.
    Unread,
}

impl WarningKind {
    pub(crate) fn label(self) -> &'static str {
        match self {
            WarningKind::NotInEffect => "NOT IN EFFECT",
            WarningKind::SegmentMismatch => "SEGMENT SIZE",
            WarningKind::Disagree => "DISAGREE",
            WarningKind::Ignored => "IGNORED",
            WarningKind::Unknown => "UNKNOWN KEY",
            WarningKind::Budget => "BUFFERS",
            WarningKind::Unread => "UNREAD",
        }
    }

    /// Red on the screen, and (for NotInEffect) no PASS.
    pub(crate) fn is_error(self) -> bool {
        matches!(self, WarningKind::NotInEffect | WarningKind::SegmentMismatch | WarningKind::Budget)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Warning {
    pub(crate) kind: WarningKind,
    pub(crate) group: Option<Group>,
    pub(crate) key: String,
    pub(crate) message: String,
}

/// One group's value of an option.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Cell {
    /// As shown: "4", "3 (ignored)", "—" (no such option in this Flink), "?" (not read).
    pub(crate) text: String,
    pub(crate) origin: Option<Origin>,
    /// Its TaskManagers run different values.
    pub(crate) mixed: bool,
    /// Set, but this Flink does not have the option.
    pub(crate) ignored: bool,
    /// The canonical values, for comparing the groups.
    values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub(crate) opt: &'static Opt,
    pub(crate) cells: [Cell; 2],
    /// The default of the baseline's Flink line (else the variant's).
    pub(crate) default: String,
    /// The groups run different values.
    pub(crate) differs: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Review {
    pub(crate) versions: [Option<String>; 2],
    pub(crate) rows: Vec<Row>,
    pub(crate) warnings: Vec<Warning>,
    /// Each group's network memory per TaskManager as Flink derived it (min, max bytes).
    pub(crate) network_memory: [Option<(u64, u64)>; 2],
    /// The buffers its job's tasks reserve on its fullest TaskManager, against what it has.
    pub(crate) budget: [Option<Budget>; 2],
}

impl Review {
    /// Why the canary cannot PASS now: the intended changes not in effect.
    pub(crate) fn blocking(&self) -> Vec<String> {
        self.warnings.iter().filter(|w| w.kind == WarningKind::NotInEffect).map(|w| w.message.clone()).collect()
    }
}

/// Keys a group sets, with their values, and whether they come from its intended file.
fn keys_set(input: &Input) -> (BTreeMap<String, String>, bool) {
    if let Some(i) = input.intended {
        return (i.clone(), true);
    }
    let mut out = BTreeMap::new();
    for tm in input.settings.map(|s| s.taskmanagers.as_slice()).unwrap_or_default() {
        for (k, v) in &tm.given {
            out.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    (out, false)
}

fn line_of(s: Option<&GroupSettings>) -> Option<Line> {
    s.and_then(|s| s.flink_version.as_deref()).and_then(Line::of)
}

/// Reviews both groups. `exchange`: they are one cluster's TaskManagers and exchange data.
pub(crate) fn review(inputs: [Input; 2], exchange: bool) -> Review {
    let lines = inputs.map(|i| line_of(i.settings));
    let set = [keys_set(&inputs[0]), keys_set(&inputs[1])];
    let mut out = Review {
        versions: inputs.map(|i| i.settings.and_then(|s| s.flink_version.clone())),
        network_memory: inputs.map(|i| network_memory(i.settings)),
        ..Review::default()
    };
    for opt in OPTIONS {
        let wanted = PLAN_MATRIX.iter().any(|(_, k, _)| *k == opt.key)
            || opt.category == Category::Job
            || set.iter().any(|(m, _)| m.keys().any(|k| sets_opt(k, opt, &lines)));
        if !wanted {
            continue;
        }
        let cells = [0, 1].map(|g| cell(opt, &inputs[g], lines[g], &set[g].0));
        let differs = !cells[0].values.is_empty() && !cells[1].values.is_empty() && cells[0].values != cells[1].values;
        let default = lines
            .iter()
            .flatten()
            .find_map(|l| opt.on(*l).default())
            .or_else(|| opt.v1.default().or(opt.v2.default()))
            .map_or_else(|| "—".to_string(), |d| show_default(opt.kind, d));
        out.rows.push(Row { opt, cells, default, differs });
    }
    out.rows.sort_by_key(|r| (r.opt.category, r.opt.key));
    for g in Group::BOTH {
        warn_group(&mut out, g, &inputs, &lines, &set);
        out.budget[g.index()] = group_budget(inputs[g.index()].settings, lines[g.index()]);
        if let Some(b) = out.budget[g.index()] {
            warn_budget(&mut out, g, b);
        }
    }
    if exchange
        && let Some(r) = out.rows.iter().find(|r| r.opt.key == "taskmanager.memory.segment-size")
        && r.differs
    {
        out.warnings.push(Warning {
            kind: WarningKind::SegmentMismatch,
            group: None,
            key: r.opt.key.into(),
            message: format!(
                "segment size: baseline {}, variant {}: TaskManagers that exchange data need one segment size (the shuffle fails)",
                r.cells[0].text, r.cells[1].text
            ),
        });
    }
    out.warnings.sort_by(|a, b| (a.kind, a.group, &a.key).cmp(&(b.kind, b.group, &b.key)));
    out
}

/// The group's budget: its job's plan on its TaskManagers, with the buffers per channel and
/// the per-gate cap its Flink runs, against its smallest TaskManager's buffers.
fn group_budget(s: Option<&GroupSettings>, line: Option<Line>) -> Option<Budget> {
    let (s, line) = (s?, line?);
    let plan = &s.job.as_ref()?.plan;
    let number = |key: &str, tm: &crate::model::settings::TaskManagerSettings| {
        let opt = catalogue::find(key)?;
        let (v, _) = effective::value(opt, tm, s.job.as_ref(), line)?;
        v.trim().parse::<u64>().ok()
    };
    let first = s.taskmanagers.first()?;
    let has = s
        .taskmanagers
        .iter()
        .filter_map(|t| {
            let memory = *t.memory.get("networkMemory")?;
            let segment = catalogue::find("taskmanager.memory.segment-size")
                .and_then(|o| effective::value(o, t, None, line))
                .and_then(|(v, _)| super::values::bytes(&v))
                .filter(|b| *b > 0)?;
            Some(t.segments.map_or(memory / segment, |(_, total)| total))
        })
        .min()?;
    budget::budget(&budget::Inputs {
        plan,
        taskmanagers: s.taskmanagers.len() as u64,
        line,
        buffers_per_channel: number("taskmanager.network.memory.buffers-per-channel", first),
        required_per_gate_max: number("taskmanager.network.memory.read-buffer.required-per-gate.max", first),
        has,
    })
}

/// Past what a TaskManager has, Flink refuses to deploy; past 80% a larger parallelism or
/// a smaller network memory is one step from it.
fn warn_budget(out: &mut Review, g: Group, b: Budget) {
    let name = g.as_str();
    let message = if b.needs > b.has {
        format!(
            "{name}: the job's tasks need {} network buffers on a TaskManager that has {}: Flink refuses to deploy them (\"Insufficient number of network buffers\"); raise taskmanager.memory.network.fraction/min or lower the parallelism",
            b.needs, b.has
        )
    } else if b.share() > 0.8 {
        format!("{name}: the job's tasks take {}: close to \"Insufficient number of network buffers\"", b.describe())
    } else {
        return;
    };
    out.warnings.push(Warning { kind: WarningKind::Budget, group: Some(g), key: String::new(), message });
}

/// Whether `key`, on either group's line, sets `opt` (or is `opt`, ignored).
fn sets_opt(key: &str, opt: &Opt, lines: &[Option<Line>; 2]) -> bool {
    key == opt.key
        || (opt.fallbacks.contains(&key) && lines.iter().flatten().any(|l| opt.on(*l) != catalogue::In::Absent))
}

fn network_memory(s: Option<&GroupSettings>) -> Option<(u64, u64)> {
    let values: Vec<u64> = s?.taskmanagers.iter().filter_map(|t| t.memory.get("networkMemory").copied()).collect();
    Some((*values.iter().min()?, *values.iter().max()?))
}

fn cell(opt: &'static Opt, input: &Input, line: Option<Line>, set: &BTreeMap<String, String>) -> Cell {
    let (Some(s), Some(line)) = (input.settings, line) else {
        return Cell { text: "?".into(), ..Cell::default() };
    };
    if opt.on(line) == catalogue::In::Absent {
        return match set.get(opt.key) {
            Some(v) => Cell { text: format!("{v} (ignored)"), ignored: true, ..Cell::default() },
            None => Cell { text: "—".into(), ..Cell::default() },
        };
    }
    let mut seen: Vec<(String, String, Origin)> = Vec::new(); // (canonical, shown, origin)
    for tm in &s.taskmanagers {
        if let Some((v, origin)) = effective::value(opt, tm, s.job.as_ref(), line) {
            let canon = super::values::canonical(opt.kind, &v).unwrap_or_else(|| v.clone());
            if !seen.iter().any(|(c, _, _)| *c == canon) {
                seen.push((canon, show_default(opt.kind, &v), origin));
            }
        }
    }
    if seen.is_empty() {
        return Cell { text: "no TaskManager".into(), ..Cell::default() };
    }
    seen.sort();
    let mixed = seen.len() > 1;
    let text = if mixed {
        format!("{} (mixed)", seen.iter().map(|(_, s, _)| s.as_str()).collect::<Vec<_>>().join(" / "))
    } else {
        seen[0].1.clone()
    };
    Cell { text, origin: Some(seen[0].2), mixed, ignored: false, values: seen.into_iter().map(|(c, _, _)| c).collect() }
}

fn warn_group(
    out: &mut Review,
    g: Group,
    inputs: &[Input; 2],
    lines: &[Option<Line>; 2],
    set: &[(BTreeMap<String, String>, bool); 2],
) {
    let i = g.index();
    let Some(s) = inputs[i].settings else { return };
    let name = g.as_str();
    for p in &s.problems {
        out.warnings.push(Warning {
            kind: WarningKind::Unread,
            group: Some(g),
            key: String::new(),
            message: format!("{name}: {p}"),
        });
    }
    let Some(line) = lines[i] else {
        out.warnings.push(Warning {
            kind: WarningKind::Unread,
            group: Some(g),
            key: String::new(),
            message: format!("{name}: Flink version {} is not one the catalogue knows", s.version()),
        });
        return;
    };
    let (mine, from_file) = &set[i];
    let other = &set[1 - i].0;
    let version = s.version();
    for (key, value) in mine {
        let status = catalogue::status(key, line);
        // A change: set in the intended file, or the variant sets what the baseline does not.
        let change = *from_file || (g == Group::Variant && other.get(key).is_none_or(|o| o.trim() != value.trim()));
        let (kind, message) = match status {
            Status::Ignored { instead, .. } => (
                if change { WarningKind::NotInEffect } else { WarningKind::Ignored },
                format!(
                    "{name}: {key} = {value} is ignored: Flink {version} has no such option{}",
                    instead.map(|k| format!(" (look at {k})")).unwrap_or_default()
                ),
            ),
            Status::Unknown { nearest } => (
                if change { WarningKind::NotInEffect } else { WarningKind::Unknown },
                format!(
                    "{name}: {key} is no Flink {version} option{}",
                    nearest.map_or_else(|| " (a typo?)".into(), |k| format!(": did you mean {k}?"))
                ),
            ),
            Status::Honoured(opt) | Status::Deprecated(opt) | Status::ReadAs(opt) => {
                if let Some(m) = not_applied(opt, key, value, s, line, *from_file) {
                    (WarningKind::NotInEffect, format!("{name}: {m}"))
                } else {
                    continue;
                }
            }
            Status::Other => continue,
        };
        out.warnings.push(Warning { kind, group: Some(g), key: key.clone(), message });
    }
    for r in &out.rows {
        if r.cells[i].mixed {
            let per_tm: Vec<String> = s
                .taskmanagers
                .iter()
                .filter_map(|t| effective::value(r.opt, t, s.job.as_ref(), line).map(|(v, _)| format!("{} {v}", t.id)))
                .collect();
            out.warnings.push(Warning {
                kind: WarningKind::Disagree,
                group: Some(g),
                key: r.opt.key.into(),
                message: format!("{name}: TaskManagers disagree on {}: {}", r.opt.key, per_tm.join(", ")),
            });
        }
    }
}

/// For a key this Flink reads: the TaskManagers that do not run `value`. With an intended
/// file, every TaskManager's effective value must match it; without one, only the NettyConfig
/// line can contradict what a TaskManager was given.
fn not_applied(opt: &Opt, key: &str, value: &str, s: &GroupSettings, line: Line, from_file: bool) -> Option<String> {
    // -1 and "auto" are "let Flink choose": any value it chose is in effect.
    if value.trim() == "-1" || value.trim().eq_ignore_ascii_case("auto") {
        return None;
    }
    let mut off = Vec::new();
    for tm in &s.taskmanagers {
        let Some((eff, origin)) = effective::value(opt, tm, s.job.as_ref(), line) else { continue };
        let judged = from_file || (origin == Origin::Netty && tm.given.contains_key(key));
        if judged && !same(opt.kind, &eff, value) {
            off.push(format!("{} runs {} ({})", tm.id, show_default(opt.kind, &eff), origin.label()));
        }
    }
    (!off.is_empty()).then(|| format!("intended {key} = {value} is not in effect: {}", off.join(", ")))
}

#[cfg(test)]
mod tests;
