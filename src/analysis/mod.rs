//! What is done with a model: training it, evaluating it on the test split, and taking one
//! input apart (its evidence, posterior, the gap and its split into approximation and amortisation).

pub mod batches;
pub mod data_parallel;
pub mod eval;
pub mod evidence;
pub mod gap_split;
pub mod history_csv;
pub mod slow_step;
pub mod train;
