//! The settings of both groups side by side: what each TaskManager really runs with, what
//! differs between baseline and variant, and what Flink silently ignores. Pure: it takes
//! the settings the REST source read and the intended configuration files' keys.

pub(crate) mod budget;
pub mod catalogue;
pub(crate) mod doc;
pub(crate) mod effective;
pub(crate) mod hints;
pub(crate) mod intended;
pub(crate) mod review;
pub(crate) mod state;
pub(crate) mod values;

pub(crate) use review::{Cell, Row, WarningKind};
pub use state::State;
