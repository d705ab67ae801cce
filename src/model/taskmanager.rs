//! TaskManager identity across sources: REST and JMX say `tm-base-1`, the Prometheus
//! reporter's labels say `tm_base_1` (it replaces every character outside `[A-Za-z0-9_:]`
//! with `_`). One canonical form makes them one TaskManager.

/// The canonical id: the Prometheus reporter's sanitising, applied to any form.
pub(crate) fn canonical_id(id: &str) -> String {
    id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == ':' { c } else { '_' }).collect()
}

/// Whether two ids, in whatever source's form, name one TaskManager.
pub(crate) fn same_taskmanager(a: &str, b: &str) -> bool {
    a == b || canonical_id(a) == canonical_id(b)
}

/// The ids with duplicates in other forms removed (the first form seen is kept).
pub(crate) fn distinct(ids: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    ids.into_iter().filter(|id| seen.insert(canonical_id(id))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_taskmanager_in_every_form() {
        assert!(same_taskmanager("tm-base-1", "tm_base_1"));
        assert!(same_taskmanager("10.0.0.5:41234-6c1a3b", "10_0_0_5:41234_6c1a3b"));
        assert!(!same_taskmanager("tm-base-1", "tm-base-2"));
        assert_eq!(canonical_id("tm.var-2"), "tm_var_2");
        assert_eq!(
            distinct(vec!["tm-base-1".into(), "tm_base_1".into(), "tm-base-2".into()]),
            vec!["tm-base-1".to_string(), "tm-base-2".to_string()]
        );
    }
}
