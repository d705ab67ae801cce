//! The Job Health screen's rows: both groups' jobs, the unhealthy first.

use super::App;
use crate::model::job_health::Recent;
use crate::model::{Group, JobHealth};

impl App {
    /// The rows of both groups, unhealthy first, with what went up in the window.
    pub(crate) fn job_rows(&self) -> Vec<(Group, &JobHealth, Recent)> {
        let view = self.view();
        let from = view.now - self.window.as_secs_f64();
        let mut rows: Vec<(Group, &JobHealth, Recent)> = Group::BOTH
            .iter()
            .flat_map(|g| view.store.group(*g).jobs.worst_first(from).into_iter().map(move |(j, n)| (*g, j, n)))
            .collect();
        rows.sort_by(|(ga, a, an), (gb, b, bn)| {
            b.trouble(*bn).cmp(&a.trouble(*an)).then(ga.cmp(gb)).then_with(|| a.name.cmp(&b.name))
        });
        rows
    }
}
