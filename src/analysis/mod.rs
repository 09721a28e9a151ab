//! What is done with a model: training it, evaluating it on the test split, and taking one
//! input apart (its evidence, posterior and the gap).

pub mod batches;
pub mod eval;
pub mod evidence;
pub mod history_csv;
pub mod train;
