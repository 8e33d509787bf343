//! Integration tests against the in-process emulator (time scaled, rate windows scaled
//! to 1 s). One module per promise, plus downloads, the fault matrix and the facade.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and examples may panic

mod common;

mod charged_once;
mod downloads;
mod errors;
mod facade;
mod fault_matrix;
mod journal;
mod rate_budget;
mod secrets;
mod store;
mod waiting;
