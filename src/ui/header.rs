//! The header: title line, then one status line per group.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use super::format;
use crate::analysis::rules::Severity;
use crate::analysis::verdict::Outcome;
use crate::app::{App, HealthState};
use crate::model::{Group, MetricKey};

pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut title = vec![
        Span::styled("flinkscope", theme.fg(theme.title).add_modifier(Modifier::BOLD)),
        Span::raw(format!("  window {}  span {}", format::duration(app.window), format::duration(app.span))),
    ];
    let v = &app.view().verdict;
    let colour = match v.outcome {
        Outcome::Pass => theme.good,
        Outcome::Marginal => theme.warn,
        Outcome::Fail => theme.bad,
        Outcome::Inconclusive => theme.dim,
    };
    let score = v.score.map(|s| format!(" {s:.0}")).unwrap_or_default();
    title.push(Span::raw("  "));
    title.push(Span::styled(format!("[{}{score}]", v.outcome.as_str()), theme.fg(colour).add_modifier(Modifier::BOLD)));
    if let Some(needs) = v.needs {
        // How long until a decision is possible, not just that there is none.
        title.push(Span::styled(
            format!(" needs {} more samples, ~{}", needs.samples, crate::analysis::verdict::about(needs.seconds)),
            theme.fg(theme.warn),
        ));
    } else if !v.low_n.is_empty() {
        title.push(Span::styled(format!(" LOW-N {}", v.low_n.len()), theme.fg(theme.warn)));
    }
    if !v.no_data.is_empty() {
        title.push(Span::styled(format!(" NO-DATA {}", v.no_data.len()), theme.fg(theme.dim)));
    }
    if let Some((name, j)) = app.stage.as_ref().and_then(|s| s.last.as_ref().map(|j| (&s.config.name, j))) {
        use crate::analysis::stage::Decision;
        let colour = match j.decision {
            Decision::Go => theme.good,
            Decision::RollBack => theme.bad,
            Decision::NotYet => theme.warn,
        };
        let met = j.criteria.iter().filter(|c| c.mark == crate::analysis::stage::Mark::Met).count();
        title.push(Span::styled(
            format!(
                "  stage {} {}/{} {} {met}/{}✓ (J)",
                crate::sanitize::clean(name),
                crate::format::age((j.elapsed_s * 1000.0) as u64),
                crate::format::duration(std::time::Duration::from_secs_f64(j.min_duration_s)),
                j.decision.as_str(),
                j.criteria.len()
            ),
            theme.fg(colour).add_modifier(Modifier::BOLD),
        ));
    }
    let (hard, soft) = app.alerts.active.values().fold((0, 0), |(h, s), a| match a.severity {
        Severity::Hard => (h + 1, s),
        Severity::Soft => (h, s + 1),
    });
    if hard > 0 {
        title.push(Span::styled(format!("  {hard} HARD"), theme.fg(theme.bad).add_modifier(Modifier::BOLD)));
    }
    if soft > 0 {
        title.push(Span::styled(format!("  {soft} soft"), theme.fg(theme.warn)));
    }
    // The canary may compare settings nobody meant to: said before anything else is read.
    let not_in_effect = app.flink_settings.review.blocking().len();
    if not_in_effect > 0 {
        title.push(Span::styled(
            format!("  SETTINGS: {not_in_effect} not in effect (e)"),
            theme.fg(theme.bad).add_modifier(Modifier::BOLD),
        ));
    }
    if let Some(left) = app.countdown_left() {
        title.push(Span::styled(
            format!("  AUTO-ROLLBACK in {}s (c cancels)", left.as_secs()),
            theme.fg(theme.bad).add_modifier(Modifier::BOLD | Modifier::SLOW_BLINK),
        ));
    }
    if let Some(r) = &app.replay {
        let wall = crate::format::clock_time(r.wall);
        let state = if r.ended {
            "  END (q quits, ← seeks back)"
        } else if r.paused {
            "  PAUSED (space plays)"
        } else if r.behind {
            "  catching up"
        } else {
            ""
        };
        // The state before the recorded time: a narrow terminal cuts the date, not END.
        title.push(Span::styled(
            format!("  REPLAY {} {}{state} ({wall})", crate::format::duration(r.position), r.speed),
            theme.fg(theme.warn).add_modifier(Modifier::BOLD),
        ));
    }
    if let Some(r) = &app.recording {
        use crate::app::RecordingState;
        title.push(match &r.state {
            // The count first: a narrow terminal cuts the file's name, not the sign of life.
            RecordingState::On => Span::styled(format!("  ● REC {} {}", r.records, r.path), theme.fg(theme.bad)),
            RecordingState::Saved => Span::styled(format!("  saved {} {}", r.records, r.path), theme.fg(theme.dim)),
            RecordingState::Failed(why) => {
                Span::styled(format!("  REC STOPPED: {why}"), theme.fg(theme.bad).add_modifier(Modifier::BOLD))
            }
        });
    }
    match &app.report_note {
        Some(Ok(file)) => title.push(Span::styled(format!("  report {file}"), theme.fg(theme.dim))),
        Some(Err(why)) => {
            title.push(Span::styled(
                format!("  REPORT FAILED: {why}"),
                theme.fg(theme.bad).add_modifier(Modifier::BOLD),
            ));
        }
        None => {}
    }
    if app.paused() {
        title.push(Span::styled("  PAUSED (p resumes)", theme.fg(theme.warn).add_modifier(Modifier::BOLD)));
    }
    let mut lines = vec![Line::from(title)];
    for g in Group::BOTH {
        lines.push(group_line(app, g, theme, area.width));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn group_line(app: &App, g: Group, theme: &Theme, width: u16) -> Line<'static> {
    let view = app.view();
    let data = view.store.group(g);
    let label = &app.labels[g.index()];
    let wide = width >= 110;
    let marker = if g == Group::Variant { "▲" } else { "■" };
    let mut spans = vec![Span::styled(
        format!("{marker} {:<8}", g.as_str()),
        theme.group(g == Group::Variant).add_modifier(Modifier::BOLD),
    )];
    let target = match &label.taskmanagers {
        Some(p) if wide => format!("{} tm~{}", label.url, p),
        Some(p) => format!("tm~{p}"),
        None if wide => label.url.clone(),
        None => label.url.rsplit(':').next().map(|port| format!(":{port}")).unwrap_or_default(),
    };
    spans.push(Span::styled(format!(" {target}"), theme.fg(theme.dim)));
    spans.push(Span::raw(format!(" {} TM", data.taskmanagers.len())));
    let job = data.job.as_ref().map_or_else(|| "no job".to_string(), |j| j.state.to_string());
    let running = data.job.as_ref().is_some_and(|j| j.state.is_running());
    let job_style = if running { theme.fg(theme.good) } else { theme.fg(theme.warn) };
    spans.push(Span::raw(" "));
    spans.push(Span::styled(job, job_style));
    let cmp = |k: MetricKey| view.comparisons.get(&k).map(|c| if g == Group::Variant { c.variant } else { c.baseline });
    let restarts = cmp(MetricKey::Restarts).unwrap_or_default();
    let ok = cmp(MetricKey::CheckpointsCompleted).unwrap_or_default();
    let failed = cmp(MetricKey::CheckpointsFailed).unwrap_or_default();
    let n = |v: Option<f64>| v.map_or_else(|| format::NO_DATA.into(), |x| format!("{x:.0}"));
    if wide {
        spans.push(Span::raw(format!(
            "  restarts {} (+{})  checkpoints {} ok / {} failed",
            n(restarts.current),
            n(restarts.delta.or(Some(0.0))),
            n(ok.current),
            n(failed.current)
        )));
    } else {
        spans.push(Span::raw(format!(
            " restarts {} ckpt {} ok {} fail",
            n(restarts.current),
            n(ok.current),
            n(failed.current)
        )));
    }
    spans.push(Span::raw("  "));
    spans.push(health_span(&app.health_of(g), theme));
    // The group's other sources, each with its state (the first of them is the main one above).
    let main = app.main_source(g);
    for kind in crate::model::SourceKind::ALL {
        let Some(h) = app.health_of_kind(g, kind).filter(|_| Some(kind) != main) else { continue };
        spans.push(Span::styled(format!(" {} ", kind.label()), theme.fg(theme.dim)));
        spans.push(health_span(&h, theme));
    }
    let warnings = app.warnings_of(g);
    if warnings > 0 {
        spans.push(Span::styled(format!(" ⚠ {warnings} reads failed"), theme.fg(theme.warn)));
    }
    Line::from(spans)
}

pub(crate) fn health_span(state: &HealthState, theme: &Theme) -> Span<'static> {
    match state {
        HealthState::Waiting => Span::styled("○ waiting", theme.fg(theme.dim)),
        HealthState::Live => Span::styled("● live", theme.fg(theme.good)),
        HealthState::Stale(d) => Span::styled(format!("◐ stale {}s", d.as_secs()), theme.fg(theme.warn)),
        HealthState::Failed(reason) => {
            Span::styled(format!("✖ failed: {reason}"), Style::default().fg(theme.bad).add_modifier(Modifier::BOLD))
        }
    }
}
