//! Recordings: everything the app took (samples, settings reads, ticks, rollback progress)
//! with the time it took it, and the alerts that fired and resolved, so a replay drives
//! the same app through the same judgement and a report reads the same numbers.
//!
//! The file is JSON Lines in one zstd stream: a header line (`format`, `version`, when it
//! began, the groups and sources), then one record per line. Each record is flushed as a
//! zstd block of its own, so the file can be read up to its last whole record whatever
//! happened to the process; `zstdcat FILE | jq` reads it without flinkscope (a file whose
//! writer died ends in a cut block: zstdcat prints what is whole, then complains).

pub mod baseline;
pub mod export;
pub(crate) mod format;
pub(crate) mod reader;
pub(crate) mod writer;

#[cfg(test)]
mod tests;
