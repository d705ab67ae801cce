//! Actions: the rollback runner. It runs the operator's external commands and reports back
//! to the event loop as events; it never touches app state.

pub mod audit;
pub(crate) mod evidence;
// The placeholder grammar is the model's (config checks it at load); the rollback expands it.
pub(crate) use crate::model::placeholders;
pub mod rollback;
pub mod runner;
pub(crate) mod stage_state;

pub(crate) use rollback::{ActionEvent, Plan};
