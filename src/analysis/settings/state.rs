//! The groups' settings as the app keeps them: the latest read of each group, the read's
//! failure, and the review of both (recomputed on every read). The rollback's evidence,
//! the snapshot and `flinkscope settings` take it as it is.

use std::collections::BTreeMap;

use super::review::{Input, Review, review};
use crate::model::Group;
use crate::model::settings::GroupSettings;

#[derive(Debug, Clone, Default)]
pub struct State {
    /// The latest good read per group (kept when a later read fails).
    pub(crate) read: [Option<GroupSettings>; 2],
    /// Why the latest read failed, when it did.
    pub(crate) error: [Option<String>; 2],
    /// The groups' intended configuration files, flattened (`flink-config`).
    pub(crate) intended: [Option<BTreeMap<String, String>>; 2],
    /// One cluster holds both groups: they exchange data.
    pub(crate) exchange: bool,
    pub(crate) review: Review,
}

impl State {
    pub fn new(intended: [Option<BTreeMap<String, String>>; 2], exchange: bool) -> Self {
        let mut s = State { intended, exchange, ..State::default() };
        s.review = s.reviewed();
        s
    }

    pub fn on_read(&mut self, g: Group, result: Result<GroupSettings, String>) {
        match result {
            Ok(s) => {
                self.read[g.index()] = Some(s);
                self.error[g.index()] = None;
            }
            Err(e) => self.error[g.index()] = Some(e),
        }
        self.review = self.reviewed();
    }

    /// The troubleshooting guide's hint for a symptom seen in group `g`, named for the Flink
    /// that group runs (2.x when its version is not known yet).
    pub(crate) fn hint(&self, g: Group, symptom: super::hints::Symptom) -> super::hints::Hint {
        let read = self.read[g.index()].as_ref();
        let line = read.and_then(|s| s.flink_version.as_deref()).and_then(super::catalogue::Line::of);
        super::hints::hint(symptom, line.unwrap_or(super::catalogue::Line::V2), read)
    }

    fn reviewed(&self) -> Review {
        let input = |i: usize| Input { settings: self.read[i].as_ref(), intended: self.intended[i].as_ref() };
        review([input(0), input(1)], self.exchange)
    }
}
