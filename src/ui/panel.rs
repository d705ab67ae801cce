//! One chart panel: a table of the panel's metrics for both groups (window means, the %
//! change between them with its significance mark, then the latest values) and a chart of
//! its first metric over the chart span. The figures beside the change are the ones it was
//! computed from.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Borders, Cell, Chart, Dataset, GraphType, LegendPosition, Row, Table};

use super::Theme;
use super::format;
use crate::analysis::judge::Class;
use crate::analysis::rules::RuleId;
use crate::app::{App, HealthState};
use crate::model::{Group, MetricKey, Panel};

pub(crate) fn title(panel: Panel) -> &'static str {
    match panel {
        Panel::Throughput => "Throughput",
        Panel::Latency => "Latency (worst marker pair)",
        Panel::Buffers => "Buffers",
        Panel::CpuMemory => "CPU & memory (per TaskManager)",
        Panel::Backpressure => "Backpressure (mean per subtask)",
        Panel::Health => "Health",
        Panel::Host => "Host: NIC, TCP, TaskManager processes",
        Panel::Alerts => "Alerts",
    }
}

/// Metrics the dashboard grid shows for a panel; full screen shows all of them.
fn overview_metrics(panel: Panel) -> Vec<MetricKey> {
    use MetricKey::*;
    match panel {
        Panel::Throughput => vec![RecordsInPerS, RecordsOutPerS, BytesOutPerS, RemoteBytesInPerS],
        Panel::Buffers => vec![InPoolUsage, OutPoolUsage, FloatingBuffersUsage, NettyUsedSegments],
        Panel::Host => {
            vec![NicRxBytesPerS, NicDropsPerS, TcpRetransPerS, TcpTimeoutsPerS, ProcessCpuCores, HostCpuBusy]
        }
        p => MetricKey::of_panel(p).collect(),
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App, panel: Panel, focused: bool, full: bool, theme: &Theme) {
    let mut title_spans =
        vec![Span::styled(format!(" {} ", title(panel)), theme.fg(theme.title).add_modifier(Modifier::BOLD))];
    for g in Group::BOTH {
        let what = match app.health_of(g) {
            HealthState::Stale(d) => format!("stale {}s", d.as_secs()),
            HealthState::Failed(reason) => format!("failed: {reason}"),
            HealthState::Live | HealthState::Waiting => continue,
        };
        title_spans.push(Span::styled(format!("[{}: {what}] ", g.as_str()), theme.fg(theme.bad)));
    }
    let block =
        Block::default().borders(Borders::ALL).border_style(theme.border(focused)).title(Line::from(title_spans));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width < 20 {
        return;
    }
    let metrics = if full { MetricKey::of_panel(panel).collect() } else { overview_metrics(panel) };
    let table_height = (metrics.len() as u16 + 1).min(inner.height);
    // Full screen puts the statistics columns across the whole width, the chart below.
    let side_by_side = inner.width >= 100 && !full;
    let (table_area, chart_area) = if side_by_side {
        let [t, c] = Layout::horizontal([Constraint::Length(66), Constraint::Min(10)]).areas(inner);
        (t, Some(c))
    } else if inner.height >= table_height + 4 {
        let [t, c] = Layout::vertical([Constraint::Length(table_height), Constraint::Min(4)]).areas(inner);
        (t, Some(c))
    } else {
        (inner, None)
    };
    render_table(frame, table_area, app, &metrics, full, theme);
    if let Some(c) = chart_area {
        render_chart(frame, c, app, chart_metric(panel), theme);
    }
}

/// The metric a panel's chart draws: the one its soft rule watches, where there is one.
pub(crate) fn chart_metric(panel: Panel) -> MetricKey {
    match panel {
        Panel::Latency => MetricKey::LatencyP99Ms,
        Panel::Backpressure => MetricKey::BackpressuredMsPerS,
        p => MetricKey::of_panel(p).next().unwrap_or(MetricKey::RecordsInPerS),
    }
}

/// The change column: % change, `*` when significant on block samples, coloured by
/// whether the variant is better or worse.
fn change_cell(app: &App, key: MetricKey, pct: Option<f64>, theme: &Theme) -> Cell<'static> {
    let j = app.view().judgements.get(&key);
    let mark = if j.is_some_and(|j| j.significant) { "*" } else { "" };
    let style = match j.map(|j| j.class) {
        Some(Class::Worse) => theme.fg(theme.bad),
        Some(Class::Better) => theme.fg(theme.good),
        _ => theme.fg(theme.text),
    };
    Cell::from(format!("{}{mark}", format::change(pct))).style(style)
}

fn render_table(frame: &mut Frame, area: Rect, app: &App, metrics: &[MetricKey], full: bool, theme: &Theme) {
    let view = app.view();
    let wide = area.width >= 60;
    // The latest values need room; the means and their change come first.
    let latest = area.width >= 56;
    let stats = full && area.width >= 100;
    let mut header: Vec<Cell> = vec!["", "mean b", "mean v", "Δ mean"].into_iter().map(Cell::from).collect();
    if latest {
        header.extend(["now b", "now v"].map(Cell::from));
    }
    if stats {
        header.extend(["n b/v", "p", "shift [CI]", "class"].map(Cell::from));
    }
    let rows = metrics.iter().map(|&k| {
        let c = view.comparisons.get(&k).copied().unwrap_or_default();
        let u = k.unit();
        let mut cells = vec![
            Cell::from(k.label()),
            Cell::from(format::value(u, c.baseline.mean)).style(theme.group(false)),
            Cell::from(format::value(u, c.variant.mean)).style(theme.group(true)),
            change_cell(app, k, c.change_pct, theme),
        ];
        if latest {
            cells.push(Cell::from(format::value(u, c.baseline.current)).style(theme.fg(theme.dim)));
            cells.push(Cell::from(format::value(u, c.variant.current)).style(theme.fg(theme.dim)));
        }
        if stats {
            let j = view.judgements.get(&k);
            let n = j.map(|j| format!("{}/{}", j.baseline.map_or(0, |s| s.n), j.variant.map_or(0, |s| s.n)));
            let p = j.and_then(|j| j.p).map(|p| format!("{p:.1e}"));
            let ci = j.and_then(|j| j.hodges_lehmann).map(|h| match h.ci {
                Some((lo, hi)) => format!(
                    "{} [{}, {}]",
                    format::value(u, Some(h.shift)),
                    format::value(u, Some(lo)),
                    format::value(u, Some(hi))
                ),
                None => format::value(u, Some(h.shift)),
            });
            let dash = || format::NO_DATA.to_string();
            cells.push(Cell::from(n.unwrap_or_else(dash)));
            cells.push(Cell::from(p.unwrap_or_else(dash)));
            cells.push(Cell::from(ci.unwrap_or_else(dash)));
            cells.push(Cell::from(j.map_or("", |j| j.class.label())));
        }
        Row::new(cells)
    });
    let (label, value, change) = if wide { (14, 10, 8) } else { (12, 8, 7) };
    let mut widths: Vec<Constraint> = vec![
        Constraint::Length(label),
        Constraint::Length(value),
        Constraint::Length(value),
        Constraint::Length(change),
    ];
    if latest {
        widths.extend([Constraint::Length(value), Constraint::Length(value)]);
    }
    if stats {
        widths.extend([Constraint::Length(7), Constraint::Length(8), Constraint::Length(30), Constraint::Length(21)]);
    }
    let table = Table::new(rows, widths).header(Row::new(header).style(theme.fg(theme.dim))).column_spacing(1);
    frame.render_widget(table, area);
}

/// Where the variant would breach the soft rule watching `key`, from the baseline's
/// window mean (throughput below, latency/CPU/memory above, backpressure a multiple).
fn threshold_line(app: &App, key: MetricKey) -> Option<f64> {
    let rule = RuleId::ALL
        .into_iter()
        .find(|r| r.severity() == crate::analysis::rules::Severity::Soft && r.metric() == key)?;
    let c = app.settings.rules.rules.get(&rule).filter(|c| c.enabled)?;
    let base = app.view().comparisons.get(&key)?.baseline.mean?;
    crate::analysis::rules::soft_level(rule, c, base)
}

fn render_chart(frame: &mut Frame, area: Rect, app: &App, key: MetricKey, theme: &Theme) {
    let view = app.view();
    let from = view.now - app.span.as_secs_f64();
    type Segments = Vec<Vec<(f64, f64)>>;
    let series: Vec<(Group, Segments)> =
        Group::BOTH.iter().map(|&g| (g, app.history().group(g).series(key).segments_between(from, view.now))).collect();
    let threshold = threshold_line(app, key);
    let max =
        series.iter().flat_map(|(_, s)| s.iter().flatten().map(|(_, v)| *v)).chain(threshold).fold(0.0_f64, f64::max);
    let top = if max > 0.0 { max * 1.15 } else { 1.0 };
    let mut datasets = Vec::new();
    for (g, segments) in &series {
        let variant = *g == Group::Variant;
        let marker = if theme.monochrome && variant { Marker::Dot } else { Marker::Braille };
        if segments.is_empty() {
            // Still named, so the legend says which colour is which (and that it has no data).
            datasets.push(
                Dataset::default().name(format!("{} (no data)", g.as_str())).style(theme.group(variant)).data(&[]),
            );
        }
        for (i, seg) in segments.iter().enumerate() {
            let mut d =
                Dataset::default().marker(marker).graph_type(GraphType::Line).style(theme.group(variant)).data(seg);
            if i == 0 {
                d = d.name(g.as_str());
            }
            datasets.push(d);
        }
    }
    let line: Vec<(f64, f64)> = threshold.map(|y| vec![(from, y), (view.now, y)]).unwrap_or_default();
    if !line.is_empty() {
        datasets.push(
            Dataset::default()
                .name("threshold")
                .marker(Marker::Dot)
                .graph_type(GraphType::Line)
                .style(theme.fg(theme.warn))
                .data(&line),
        );
    }
    let unit = key.unit();
    let chart = Chart::new(datasets)
        .x_axis(
            Axis::default()
                .bounds([from, view.now])
                .labels([Line::from(format!("-{}", format::duration(app.span))), Line::from("now")])
                .style(theme.fg(theme.dim)),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, top])
                .labels([Line::from("0"), Line::from(format::value(unit, Some(top)))])
                .style(theme.fg(theme.dim)),
        )
        .legend_position(Some(LegendPosition::TopLeft))
        .hidden_legend_constraints((Constraint::Percentage(60), Constraint::Percentage(60)));
    let [label, chart_area] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    frame.render_widget(Line::from(Span::styled(format!("chart: {}", key.label()), theme.fg(theme.dim))), label);
    frame.render_widget(chart, chart_area);
}
