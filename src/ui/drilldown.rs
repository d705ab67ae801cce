//! Full screen for the focused panel: every metric of the panel with its chart, and a
//! per-TaskManager table sortable by a column (`s`).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};

use super::Theme;
use super::{format, panel};
use crate::app::App;
use crate::model::{Group, MetricKey, Panel, TmRow};

/// Columns of the per-TaskManager table for a panel (after "TaskManager" and "group").
pub(crate) fn columns(panel: Panel) -> Vec<MetricKey> {
    use MetricKey::*;
    match panel {
        Panel::Throughput => vec![RecordsInPerS, RecordsOutPerS, BytesInPerS, BytesOutPerS, RemoteBytesInPerS],
        Panel::Buffers => vec![
            InPoolUsage,
            OutPoolUsage,
            FloatingBuffersUsage,
            ExclusiveBuffersUsage,
            NettyUsedSegments,
            NettyAvailableSegments,
            RequestedMemoryUsage,
        ],
        Panel::CpuMemory => vec![CpuCores, HeapUsedBytes, DirectUsedBytes],
        Panel::Backpressure => vec![BackpressuredMsPerS, BusyMsPerS, IdleMsPerS],
        Panel::Latency | Panel::Health | Panel::Host | Panel::Alerts => vec![],
    }
}

/// The name of the sort column, for the footer.
pub(crate) fn sort_label(panel: Panel, sort_column: usize) -> String {
    let cols = columns(panel);
    match sort_column % (cols.len() + 1) {
        0 => "TaskManager".into(),
        i => cols[i - 1].label().into(),
    }
}

/// Rows of both groups, sorted: by id ascending, or by a metric descending (no data last).
pub(crate) fn sorted_rows(rows: Vec<(Group, &TmRow)>, panel: Panel, sort_column: usize) -> Vec<(Group, &TmRow)> {
    let cols = columns(panel);
    let mut rows = rows;
    match sort_column % (cols.len() + 1) {
        0 => rows.sort_by(|a, b| a.1.id.cmp(&b.1.id)),
        i => {
            let key = cols[i - 1];
            rows.sort_by(|a, b| {
                let (x, y) = (a.1.get(key), b.1.get(key));
                y.partial_cmp(&x).unwrap_or(std::cmp::Ordering::Equal).then_with(|| a.1.id.cmp(&b.1.id))
            });
            // partial_cmp puts None (no data) before values when descending: move it last.
            rows.sort_by_key(|r| r.1.get(key).is_none());
        }
    }
    rows
}

pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let panel = app.focused_panel();
    let [top, bottom] = Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area);
    panel::render(frame, top, app, panel, true, true, theme);

    let block = Block::default().borders(Borders::ALL).border_style(theme.border(false)).title(match panel {
        Panel::Latency => " every latency reading in the window (exact quantiles) ".to_string(),
        Panel::Host => " this host's network interfaces (/proc/net/dev) ".to_string(),
        _ => format!(" per TaskManager · sorted by {} (s) ", sort_label(panel, app.sort_column)),
    });
    let inner = block.inner(bottom);
    frame.render_widget(block, bottom);
    let cols = columns(panel);
    if panel == Panel::Latency {
        latency_distribution(frame, inner, app, theme);
        return;
    }
    if panel == Panel::Host {
        interfaces(frame, inner, app, theme);
        return;
    }
    if cols.is_empty() {
        let msg = "No per-TaskManager split for this panel.";
        frame.render_widget(Paragraph::new(msg).style(theme.fg(theme.dim)), inner);
        return;
    }
    let view = app.view();
    let rows: Vec<(Group, &TmRow)> =
        Group::BOTH.iter().flat_map(|&g| view.store.group(g).per_tm.iter().map(move |r| (g, r))).collect();
    if rows.is_empty() {
        let msg = "Fetching per-TaskManager detail (it arrives with Flink's next metrics refresh)…";
        frame.render_widget(Paragraph::new(msg).style(theme.fg(theme.dim)), inner);
        return;
    }
    let rows = sorted_rows(rows, panel, app.sort_column);
    let mut header = vec![Cell::from("TaskManager"), Cell::from("group")];
    header.extend(cols.iter().map(|k| Cell::from(k.label())));
    // Only the rows that fit are formatted: a fleet's 2,000 would cost a frame 6 ms.
    let visible = usize::from(inner.height.saturating_sub(1));
    let body = rows.iter().take(visible).map(|(g, r)| {
        let mut cells = vec![Cell::from(r.id.clone()), Cell::from(g.as_str()).style(theme.group(*g == Group::Variant))];
        cells.extend(cols.iter().map(|k| Cell::from(format::value(k.unit(), r.get(*k)))));
        Row::new(cells)
    });
    let mut widths = vec![Constraint::Length(22), Constraint::Length(9)];
    widths.extend(cols.iter().map(|_| Constraint::Length(12)));
    let table = Table::new(body, widths)
        .header(Row::new(header).style(theme.fg(theme.dim).add_modifier(Modifier::BOLD)))
        .column_spacing(1);
    frame.render_widget(table, inner);
}

/// Latency markers belong to job vertices, not TaskManagers: instead of a per-TaskManager
/// split, the distribution of every latency reading in the window (exact, from the series),
/// which a mean hides: a p99 that spikes now and then has a calm median and a high 99th percentile.
fn latency_distribution(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let view = app.view();
    let from = view.now - app.window.as_secs_f64();
    let header = ["over the window", "b median", "b p99", "b max", "v median", "v p99", "v max"];
    let rows = [MetricKey::LatencyP50Ms, MetricKey::LatencyP95Ms, MetricKey::LatencyP99Ms].map(|k| {
        let mut cells = vec![Cell::from(format!("{} samples", k.label()))];
        for g in Group::BOTH {
            let series = app.history().group(g).series(k);
            for q in [0.5, 0.99, 1.0] {
                let v = series.quantile_between(from, view.now, q);
                cells.push(Cell::from(format::value(k.unit(), v)).style(theme.group(g == Group::Variant)));
            }
        }
        Row::new(cells)
    });
    let mut widths = vec![Constraint::Length(16)];
    widths.extend([Constraint::Length(9); 6]);
    let table = Table::new(rows, widths)
        .header(Row::new(header.map(Cell::from)).style(theme.fg(theme.dim).add_modifier(Modifier::BOLD)))
        .column_spacing(1);
    frame.render_widget(table, area);
}

/// Each interface on its own: the Host panel sums them, which hides a busy loopback
/// beside a quiet NIC (or drops on one interface only). Busiest first.
fn interfaces(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let view = app.view();
    let Some(list) = Group::BOTH.iter().map(|g| &view.store.group(*g).interfaces).find(|l| !l.is_empty()) else {
        let msg =
            "No interface figures: no TaskManager of either group runs on this host (node_exporter's are summed only).";
        frame.render_widget(Paragraph::new(msg).style(theme.fg(theme.dim)), area);
        return;
    };
    let mut list = list.clone();
    list.sort_by(|a, b| (b.rx_bytes_per_s + b.tx_bytes_per_s).total_cmp(&(a.rx_bytes_per_s + a.tx_bytes_per_s)));
    let header = ["interface", "rx/s", "tx/s", "rx pkt/s", "tx pkt/s", "drops/s", "errors/s"];
    let bytes = |v: f64| format::value(crate::model::Unit::BytesPerSecond, Some(v));
    let count = |v: f64| format::value(crate::model::Unit::PerSecond, Some(v));
    let rows = list.iter().map(|i| {
        let bad = |v: f64| if v > 0.0 { theme.fg(theme.bad) } else { theme.fg(theme.text) };
        Row::new(vec![
            Cell::from(i.name.clone()),
            Cell::from(bytes(i.rx_bytes_per_s)),
            Cell::from(bytes(i.tx_bytes_per_s)),
            Cell::from(count(i.rx_packets_per_s)),
            Cell::from(count(i.tx_packets_per_s)),
            Cell::from(count(i.drops_per_s)).style(bad(i.drops_per_s)),
            Cell::from(count(i.errors_per_s)).style(bad(i.errors_per_s)),
        ])
    });
    let mut widths = vec![Constraint::Length(16)];
    widths.extend([Constraint::Length(10); 6]);
    let table = Table::new(rows, widths)
        .header(Row::new(header.map(Cell::from)).style(theme.fg(theme.dim).add_modifier(Modifier::BOLD)))
        .column_spacing(1);
    frame.render_widget(table, area);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, v: Option<f64>) -> TmRow {
        TmRow { id: id.into(), values: vec![(MetricKey::CpuCores, v)] }
    }

    #[test]
    fn sorting_by_id_and_by_metric_with_no_data_last() {
        let (a, b, c) = (row("tm-a", Some(0.5)), row("tm-b", None), row("tm-c", Some(1.5)));
        let rows = vec![(Group::Baseline, &b), (Group::Variant, &c), (Group::Baseline, &a)];
        let by_id: Vec<&str> = sorted_rows(rows.clone(), Panel::CpuMemory, 0).iter().map(|r| r.1.id.as_str()).collect();
        assert_eq!(by_id, ["tm-a", "tm-b", "tm-c"]);
        let by_cpu: Vec<&str> = sorted_rows(rows, Panel::CpuMemory, 1).iter().map(|r| r.1.id.as_str()).collect();
        assert_eq!(by_cpu, ["tm-c", "tm-a", "tm-b"]);
        assert_eq!(sort_label(Panel::CpuMemory, 1), "cpu cores/TM");
        assert_eq!(sort_label(Panel::CpuMemory, 4), "TaskManager", "wraps around");
    }
}
