//! Everything the event loop reacts to arrives as one of these, on one channel.

use crate::model::Batch;
use crate::model::source::{SourceError, SourceId};

#[derive(Debug)]
pub enum Event {
    /// A key press (repeats and releases are filtered out before they get here).
    Key(crossterm::event::KeyEvent),
    Resize,
    /// A click or the wheel (`--mouse` only): the loop finds the panel under it.
    Mouse(crossterm::event::MouseEvent),
    /// Time to redraw (and to re-evaluate staleness).
    Tick,
    /// One poll's result from a source.
    /// (Boxed: a batch is large and events are moved around.)
    Sample(SourceId, Result<Box<Batch>, SourceError>),
    /// A read of a group's settings (the REST source, about once a minute).
    Settings(crate::model::Group, Result<Box<crate::model::settings::GroupSettings>, SourceError>),
    /// Progress of a rollback run.
    Action(crate::model::step::ActionEvent),
    /// SIGTERM, SIGHUP or SIGINT: leave cleanly.
    Quit,
}
