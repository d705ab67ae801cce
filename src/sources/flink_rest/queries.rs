//! How the REST source's asks are cut into request lines Flink accepts (a request line over ~4 KiB answers 404; keep `get=` lists under
//! ~3000 characters and `taskmanagers=` lists to at most 80 ids).

pub(crate) use crate::sources::flink_metrics::names::*;

/// Longest `get=` value we send.
pub(crate) const MAX_GET_CHARS: usize = 2500;
/// Most TaskManager ids in one `taskmanagers=` list.
pub(crate) const MAX_TM_IDS: usize = 80;

/// Percent-encodes a metric name or id for a query value: SQL operator names contain
/// `[ ]`, and TaskManager ids may contain anything.
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Cuts a list into comma-joined, encoded pieces of at most `max_items` items and
/// `max_chars` characters each. An item longer than `max_chars` goes alone.
pub(crate) fn batches<S: AsRef<str>>(items: &[S], max_items: usize, max_chars: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut n = 0;
    for item in items {
        let enc = encode(item.as_ref());
        let extra = if current.is_empty() { enc.len() } else { enc.len() + 1 };
        if n > 0 && (n == max_items || current.len() + extra > max_chars) {
            out.push(std::mem::take(&mut current));
            n = 0;
        }
        if !current.is_empty() {
            current.push(',');
        }
        current.push_str(&enc);
        n += 1;
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Latency-marker metric ids (on the downstream vertex) for the quantiles we show.
/// Returns the ids grouped by quantile suffix: median, p95, p99.
pub(crate) fn latency_ids(available: &[String]) -> Vec<String> {
    available
        .iter()
        .filter(|id| {
            id.starts_with("latency.")
                && (id.ends_with(".latency_median") || id.ends_with(".latency_p95") || id.ends_with(".latency_p99"))
        })
        .cloned()
        .collect()
}

/// The marker ids of the receiving subtasks `subtasks` (split mode). Flink answers an
/// aggregated latency query with a `subtasks=` filter with `[]` (seen on 1.20.5 and 2.3.0:
/// the markers are in the job's scope, not the subtask's), so the group's markers are
/// chosen by the `operator_subtask_index` in their id and queried without the filter.
pub(crate) fn latency_ids_of(ids: &[String], subtasks: &[i64]) -> Vec<String> {
    ids.iter().filter(|id| marker_subtask(id).is_some_and(|n| subtasks.contains(&n))).cloned().collect()
}

/// Receiving subtasks whose latency markers are read per refresh. Flink registers each
/// marker per receiving subtask (ids of ~115 characters, three quantiles, per upstream
/// operator), so a vertex of 2,000 subtasks has 12,000 of them: read all, that is some 550
/// requests per refresh. Up to this many subtasks every marker is read; beyond, a window of
/// this many per refresh, rotating through all of them.
pub(crate) const LATENCY_SUBTASKS: usize = 16;

/// The receiving subtask of a marker id (`...operator_subtask_index.<n>...`).
fn marker_subtask(id: &str) -> Option<i64> {
    id.split(".operator_subtask_index.").nth(1)?.split('.').next()?.parse().ok()
}

/// The markers of at most `LATENCY_SUBTASKS` subtasks: the `round`-th window of them.
pub(crate) fn latency_sample(ids: &[String], round: usize) -> Vec<String> {
    let mut subtasks: Vec<i64> = ids.iter().filter_map(|id| marker_subtask(id)).collect();
    subtasks.sort_unstable();
    subtasks.dedup();
    if subtasks.len() <= LATENCY_SUBTASKS {
        return ids.to_vec();
    }
    let windows = subtasks.len().div_ceil(LATENCY_SUBTASKS);
    let start = (round % windows) * LATENCY_SUBTASKS;
    let chosen = &subtasks[start..(start + LATENCY_SUBTASKS).min(subtasks.len())];
    latency_ids_of(ids, chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_markers_of_a_large_vertex_are_read_in_rotating_windows() {
        let id =
            |n: usize, q: &str| format!("latency.source_id.a.operator_id.b.operator_subtask_index.{n}.latency_{q}");
        let small: Vec<String> = (0..LATENCY_SUBTASKS).flat_map(|n| [id(n, "p99"), id(n, "median")]).collect();
        assert_eq!(latency_sample(&small, 7), small, "up to the bound every marker is read");
        let large: Vec<String> = (0..40).flat_map(|n| [id(n, "p99"), id(n, "median")]).collect();
        let mut seen = std::collections::BTreeSet::new();
        for round in 0..3 {
            let s = latency_sample(&large, round);
            assert!(s.len() <= 2 * LATENCY_SUBTASKS, "{}", s.len());
            seen.extend(s);
        }
        assert_eq!(seen.len(), large.len(), "three rounds cover all 40 subtasks");
        assert_eq!(latency_sample(&large, 3), latency_sample(&large, 0));
    }

    #[test]
    fn latency_ids_of_some_subtasks() {
        let id = |n: u32| format!("latency.source_id.a.operator_id.b.operator_subtask_index.{n}.latency_p99");
        let ids: Vec<String> = [0, 1, 12].map(id).to_vec();
        assert_eq!(latency_ids_of(&ids, &[1, 12]), vec![id(1), id(12)]);
        assert!(latency_ids_of(&ids, &[2]).is_empty());
        assert!(latency_ids_of(&["latency.bad".to_string()], &[0]).is_empty());
    }

    #[test]
    fn encodes_sql_operator_names() {
        assert_eq!(encode("0.GroupAggregate[3].numRecordsIn"), "0.GroupAggregate%5B3%5D.numRecordsIn");
        assert_eq!(encode("a b,c"), "a%20b%2Cc");
    }

    #[test]
    fn batches_respect_both_limits() {
        let ids: Vec<String> = (0..200).map(|i| format!("taskmanager-{i:04}")).collect();
        let b = batches(&ids, MAX_TM_IDS, MAX_GET_CHARS);
        assert_eq!(b.len(), 3);
        assert!(b.iter().all(|s| s.split(',').count() <= MAX_TM_IDS));
        assert_eq!(b.iter().map(|s| s.split(',').count()).sum::<usize>(), 200);

        let long: Vec<String> = (0..100)
            .map(|i| format!("latency.source_id.{i:032}.operator_id.{i:032}.operator_subtask_index.0.latency_p99"))
            .collect();
        let b = batches(&long, usize::MAX, MAX_GET_CHARS);
        assert!(b.len() > 1);
        assert!(
            b.iter().all(|s| s.len() <= MAX_GET_CHARS),
            "{:?}",
            b.iter().map(std::string::String::len).collect::<Vec<_>>()
        );
        assert_eq!(b.iter().map(|s| s.split(',').count()).sum::<usize>(), 100);
    }

    #[test]
    fn latency_ids_from_a_real_listing() {
        let body = include_str!("../../../tests/fixtures/flink-2.3.0/vertex-sink-metrics-list.json");
        let ids: Vec<String> =
            crate::sources::flink_rest::api::parse_metric_values(body).unwrap().into_iter().map(|m| m.id).collect();
        let lat = latency_ids(&ids);
        assert!(!lat.is_empty());
        assert!(lat.iter().all(|id| id.starts_with("latency.source_id.")));
        assert_eq!(lat.len() % 3, 0);
    }
}
