//! `vae train --workers N`: the page's data-parallel step natively, each helper a thread that
//! computes its share's gradient as a gradient worker does (from flat weights, on Burn's CPU
//! backend), so the CLI trains on N cores and the page's step can be measured on big machines.

use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use futures::future::LocalBoxFuture;
use pollster::block_on;
use vae_playground::analysis::data_parallel::{
    job_gradient, GradientHelpers, ShareError, ShareGradient, ShareJob,
};
use vae_playground::vae::backend::CpuTrain;

type Answer = Result<ShareGradient, ShareError>;

struct Helper {
    jobs: Sender<(Arc<Vec<f32>>, ShareJob)>,
    answers: Receiver<Answer>,
    thread: JoinHandle<()>,
}

/// Helpers on threads of their own; each lives as long as the run.
pub struct ThreadHelpers {
    helpers: Vec<Helper>,
    posted: usize,
    /// Shares whose gradient a helper thread computed (a failed one is the trainer's own).
    pub shares_computed: u64,
}

impl ThreadHelpers {
    pub fn new(count: usize) -> Self {
        let helpers = (0..count)
            .map(|_| {
                let (jobs, job_rx) = channel::<(Arc<Vec<f32>>, ShareJob)>();
                let (answer_tx, answers) = channel();
                let thread = thread::spawn(move || {
                    for (weights, job) in job_rx {
                        let answer = block_on(job_gradient::<CpuTrain>(&weights, &job));
                        if answer_tx.send(answer).is_err() {
                            break;
                        }
                    }
                });
                Helper {
                    jobs,
                    answers,
                    thread,
                }
            })
            .collect();
        Self {
            helpers,
            posted: 0,
            shares_computed: 0,
        }
    }
}

impl GradientHelpers for ThreadHelpers {
    fn count(&self) -> usize {
        self.helpers.len()
    }

    fn post(&mut self, weights: &[f32], jobs: &[ShareJob]) {
        let weights = Arc::new(weights.to_vec());
        self.posted = jobs.len();
        for (helper, job) in self.helpers.iter().zip(jobs) {
            // A helper whose thread ended answers `Err` in `collect`.
            let _ = helper.jobs.send((weights.clone(), job.clone()));
        }
    }

    fn collect(&mut self) -> LocalBoxFuture<'_, Vec<Answer>> {
        let posted = std::mem::take(&mut self.posted);
        let answers: Vec<Answer> = self.helpers[..posted]
            .iter()
            .enumerate()
            .map(|(index, helper)| {
                helper.answers.recv().unwrap_or_else(|_| {
                    Err(ShareError::Helper {
                        index,
                        message: "its thread ended".into(),
                    })
                })
            })
            .collect();
        self.shares_computed += answers.iter().filter(|a| a.is_ok()).count() as u64;
        Box::pin(async move { answers })
    }
}

impl Drop for ThreadHelpers {
    fn drop(&mut self) {
        for Helper { jobs, thread, .. } in self.helpers.drain(..) {
            // Closing the job channel ends the thread's loop.
            drop(jobs);
            let _ = thread.join();
        }
    }
}
