//! flinkscope: a terminal dashboard that compares a baseline and a variant group of Flink
//! TaskManagers during a network-tuning canary.
//!
//! Data flows one way: `sources` (async pollers) → `event` channel → `app` (state, keys)
//! → `model` (ring buffers) → `analysis` (pure comparisons) → `ui` (pure rendering).

pub mod actions;
pub mod analysis;
pub mod app;
pub mod check;
pub mod cli;
pub mod config;
pub mod event;
pub(crate) mod format;
pub mod headless;
pub mod logging;
pub mod model;
pub mod preflight;
pub(crate) mod private;
pub(crate) mod progress;
pub mod record;
pub mod replay;
pub mod report;
pub mod run;
pub mod sanitize;
pub mod settings_cmd;
pub mod snapshot;
pub mod sources;
pub(crate) mod tui;
pub mod ui;
