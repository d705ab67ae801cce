//! The settings of both groups side by side: what each TaskManager really runs with, what
//! differs between baseline and variant, and what Flink silently ignores. Pure: it takes
//! the settings the REST source read and the intended configuration files' keys.

pub mod budget;
pub mod catalogue;
pub mod doc;
pub mod effective;
pub mod hints;
pub mod intended;
pub mod review;
pub mod state;
pub mod values;

pub use review::{Cell, Review, Row, Warning, WarningKind, review};
pub use state::State;
