//! The groups' settings as the app keeps them: the latest read of each group, the read's
//! failure, and the review of both (recomputed on every read).

use std::collections::BTreeMap;

use crate::analysis::settings::{self as review, Review};
use crate::model::Group;
use crate::model::settings::GroupSettings;
use crate::sources::SourceError;

#[derive(Debug, Clone, Default)]
pub struct SettingsState {
    /// The latest good read per group (kept when a later read fails).
    pub read: [Option<GroupSettings>; 2],
    /// Why the latest read failed, when it did.
    pub error: [Option<String>; 2],
    /// The groups' intended configuration files, flattened (`flink-config`).
    pub intended: [Option<BTreeMap<String, String>>; 2],
    /// One cluster holds both groups: they exchange data.
    pub exchange: bool,
    pub review: Review,
}

impl SettingsState {
    pub fn new(intended: [Option<BTreeMap<String, String>>; 2], exchange: bool) -> Self {
        let mut s = SettingsState { intended, exchange, ..SettingsState::default() };
        s.review = s.reviewed();
        s
    }

    pub fn on_read(&mut self, g: Group, result: Result<GroupSettings, SourceError>) {
        match result {
            Ok(s) => {
                self.read[g.index()] = Some(s);
                self.error[g.index()] = None;
            }
            Err(e) => self.error[g.index()] = Some(e.to_string()),
        }
        self.review = self.reviewed();
    }

    fn reviewed(&self) -> Review {
        let input =
            |i: usize| review::review::Input { settings: self.read[i].as_ref(), intended: self.intended[i].as_ref() };
        review::review([input(0), input(1)], self.exchange)
    }
}
