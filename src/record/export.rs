//! `flinkscope export`: a recording written out for other tools.
//!
//! - JSON Lines: the header and every record as stored (re-written from the parsed records,
//!   so what comes out is well-formed whatever the file held).
//! - OpenMetrics text, for `promtool tsdb create-blocks-from openmetrics` (and so for the
//!   team's Prometheus and Grafana): every gauge a source read as
//!   `flinkscope_<metric>{group, source}` and every cumulative counter as
//!   `flinkscope_<metric>_cumulative_total` (`rate()` of it is the per-second figure), at the
//!   time its values were current. Per-TaskManager rows carry a `taskmanager` label.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, BufWriter, Seek, Write};
use std::path::Path;

use super::format::Entry;
use super::reader::Reader;
use crate::model::{Batch, MetricKey};

/// What an export saw besides what it wrote: a cut last record, records it skipped.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Exported {
    pub(crate) records: u64,
    pub(crate) samples: u64,
    pub(crate) notes: Vec<String>,
}

/// Writes every record as one JSON line, the header first.
pub(crate) fn jsonl(mut reader: Reader, out: &mut dyn Write) -> io::Result<Exported> {
    let mut done = Exported::default();
    serde_json::to_writer(&mut *out, &reader.header)?;
    out.write_all(b"\n")?;
    for entry in reader.by_ref() {
        serde_json::to_writer(&mut *out, &entry)?;
        out.write_all(b"\n")?;
        done.records += 1;
    }
    done.notes = notes(&reader);
    Ok(done)
}

/// Writes every metric sample as OpenMetrics text. A metric family's samples must stand
/// together and each series' in time order, while a recording holds them interleaved by
/// time: each family goes to a temporary file of its own first (memory stays flat over a
/// week's recording), then the families are joined.
pub(crate) fn openmetrics(mut reader: Reader, out: &mut dyn Write) -> io::Result<Exported> {
    let mut families: BTreeMap<String, Family> = BTreeMap::new();
    // The newest timestamp written per series: a source that repeats its last values
    // (Flink's fetcher had not refreshed) gives no second sample at the same time.
    let mut last: HashMap<String, i64> = HashMap::new();
    let mut done = Exported::default();
    let start_ms = reader.header.started_unix_ms;
    for entry in reader.by_ref() {
        done.records += 1;
        let Entry::Sample { t_ns, source, at_ns, batch: Some(batch), .. } = entry else { continue };
        let ms = start_ms.saturating_add(at_ns.unwrap_or(t_ns) / 1_000_000);
        let base = format!("group=\"{}\",source=\"{}\"", source.group.as_str(), source.kind.as_str());
        for (name, kind, labels, value) in points(&batch, &base) {
            let series = format!("{name}{{{labels}}}");
            if last.get(&series).is_some_and(|&t| t >= ms) {
                continue;
            }
            last.insert(series.clone(), ms);
            let family = match families.entry(name.clone()) {
                std::collections::btree_map::Entry::Occupied(f) => f.into_mut(),
                std::collections::btree_map::Entry::Vacant(v) => v.insert(Family::new(kind)?),
            };
            writeln!(family.file, "{series} {} {}.{:03}", value, ms.div_euclid(1000), ms.rem_euclid(1000))?;
            done.samples += 1;
        }
    }
    for (name, mut family) in families {
        let (typ, family_name) = match family.kind {
            Kind::Gauge => ("gauge", name.as_str()),
            Kind::Counter => ("counter", name.strip_suffix("_total").unwrap_or(&name)),
        };
        writeln!(out, "# TYPE {family_name} {typ}")?;
        family.file.flush()?;
        let mut f = family.file.into_inner().map_err(io::IntoInnerError::into_error)?;
        f.rewind()?;
        io::copy(&mut f, out)?;
    }
    out.write_all(b"# EOF\n")?;
    done.notes = notes(&reader);
    Ok(done)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Gauge,
    Counter,
}

struct Family {
    kind: Kind,
    file: BufWriter<File>,
}

impl Family {
    fn new(kind: Kind) -> io::Result<Family> {
        Ok(Family { kind, file: BufWriter::new(tempfile::tempfile()?) })
    }
}

/// The finite samples of one batch: (metric name, kind, labels, value).
fn points(batch: &Batch, base: &str) -> Vec<(String, Kind, String, f64)> {
    let gauge = |k: MetricKey| format!("flinkscope_{}", k.as_str());
    // `_cumulative`: a counter's family never shares its name with a gauge's (CPU is both:
    // the cores a TaskManager row shows, the CPU time the group's counter adds up).
    let counter = |k: MetricKey| {
        format!("flinkscope_{}_cumulative_total", k.as_str().strip_suffix("_per_s").unwrap_or(k.as_str()))
    };
    let mut out = Vec::new();
    for (k, v) in &batch.gauges {
        if let Some(v) = v.filter(|v| v.is_finite()) {
            out.push((gauge(*k), Kind::Gauge, base.to_string(), v));
        }
    }
    for c in batch.counters.iter().chain(&batch.block_counters) {
        let v = c.total * c.scale;
        if v.is_finite() {
            out.push((counter(c.key), Kind::Counter, base.to_string(), v));
        }
    }
    for row in &batch.per_tm {
        let labels = format!("{base},taskmanager=\"{}\"", label_value(&row.id));
        for (k, v) in &row.values {
            if let Some(v) = v.filter(|v| v.is_finite()) {
                out.push((gauge(*k), Kind::Gauge, labels.clone(), v));
            }
        }
    }
    out
}

/// A label value as OpenMetrics escapes it (backslash, quote, newline), cleaned of other
/// control characters first: TaskManager ids come from the cluster.
fn label_value(s: &str) -> String {
    crate::sanitize::clean(s).replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn notes(reader: &Reader) -> Vec<String> {
    let mut out: Vec<String> = reader.torn.iter().cloned().collect();
    if !reader.skipped.is_empty() {
        out.push(format!(
            "{} records did not parse and were left out (the first at line {}: {})",
            reader.skipped.len(),
            reader.skipped[0].0,
            reader.skipped[0].1
        ));
    }
    out
}

/// `flinkscope export FILE --format F [-o OUT]`: the exit code (0 written, 2 not a
/// recording it can read, 3 writing failed). What was cut or skipped is said on stderr.
pub fn run(file: &Path, format: crate::cli::ExportFormat, output: Option<&Path>) -> u8 {
    let reader = match Reader::open(file) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("flinkscope: {e}");
            return 2;
        }
    };
    let mut out: Box<dyn Write> = match output {
        Some(p) => match File::options().write(true).create_new(true).open(p) {
            Ok(f) => Box::new(BufWriter::new(f)),
            Err(e) => {
                eprintln!("flinkscope: cannot create {}: {e}", p.display());
                return 3;
            }
        },
        None => Box::new(BufWriter::new(io::stdout().lock())),
    };
    let written = match format {
        crate::cli::ExportFormat::Jsonl => jsonl(reader, &mut out),
        crate::cli::ExportFormat::Openmetrics => openmetrics(reader, &mut out),
    }
    .and_then(|done| out.flush().map(|()| done));
    match written {
        Ok(done) => {
            for n in &done.notes {
                eprintln!("flinkscope: {}: {n}", file.display());
            }
            0
        }
        Err(e) => {
            eprintln!("flinkscope: writing the export: {e}");
            3
        }
    }
}
