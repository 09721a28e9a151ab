//! The work the workers do, as plain Rust driven by typed messages: a training session on
//! whichever backend runs, the train service around it, and the compute service.

pub mod compute;
pub mod session;
pub mod train_service;
