//! `vae`: train, evaluate and inspect playground models natively, on Burn's CPU backend.
//!
//! ```text
//! cargo run --release --bin vae -- train --dataset mnist --epochs 10 --out model.vaew
//! cargo run --release --bin vae -- eval --weights www/weights/mnist.vaew
//! cargo run --release --bin vae -- evidence --weights www/weights/mnist.vaew --index 0
//! ```

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    use std::path::{Path, PathBuf};
    use std::process::ExitCode;
    use std::sync::{Arc, OnceLock};
    use std::time::Instant;

    use clap::{Parser, Subcommand, ValueEnum};
    use indicatif::{ProgressBar, ProgressStyle};
    use pollster::block_on;
    use serde_json::json;

    use vae_playground::backend::{Cpu, CpuTrain};
    use vae_playground::data::{Dataset, Digits, Split};
    use vae_playground::elbo::Likelihood;
    use vae_playground::eval::evaluate;
    use vae_playground::evidence::{evidence_by_importance_sampling, evidence_by_quadrature};
    use vae_playground::model::VaeConfig;
    use vae_playground::train::{TrainSettings, Trainer};
    use vae_playground::weights::{self, Provenance};

    #[derive(Parser)]
    #[command(
        name = "vae",
        about = "Train and evaluate 2-D latent VAEs on MNIST / Fashion-MNIST"
    )]
    struct Cli {
        /// Directory holding the `*.u8.gz` data files.
        #[arg(long, global = true, default_value = "www/data")]
        data_dir: PathBuf,
        #[command(subcommand)]
        command: Command,
    }

    #[derive(Clone, Copy, ValueEnum)]
    enum DatasetArg {
        Mnist,
        Fashion,
    }

    impl From<DatasetArg> for Dataset {
        fn from(d: DatasetArg) -> Self {
            match d {
                DatasetArg::Mnist => Dataset::Mnist,
                DatasetArg::Fashion => Dataset::Fashion,
            }
        }
    }

    #[derive(Clone, Copy, ValueEnum)]
    enum DecoderArg {
        Bernoulli,
        Gaussian,
    }

    #[derive(Subcommand)]
    enum Command {
        /// Train from scratch, write weights and the loss history, evaluate on the test split.
        Train {
            #[arg(long, value_enum, default_value = "mnist")]
            dataset: DatasetArg,
            /// Train on the first 10k training images instead of all 60k.
            #[arg(long)]
            small: bool,
            #[arg(long, default_value_t = 10.0)]
            epochs: f64,
            #[arg(long, default_value_t = 512)]
            hidden: usize,
            #[arg(long, default_value_t = 1e-3)]
            lr: f64,
            #[arg(long, default_value_t = 128)]
            batch: usize,
            #[arg(long, default_value_t = 1.0)]
            beta: f64,
            #[arg(long, value_enum, default_value = "bernoulli")]
            decoder: DecoderArg,
            /// sigma_x of the Gaussian decoder.
            #[arg(long, default_value_t = 0.1)]
            sigma: f64,
            #[arg(long, default_value_t = 0)]
            seed: u64,
            /// Weights file to write.
            #[arg(long)]
            out: Option<PathBuf>,
            /// Loss history to write, as CSV (or JSON if the name ends in .json).
            #[arg(long)]
            history: Option<PathBuf>,
            #[arg(long)]
            quiet: bool,
        },
        /// Evaluate a weights file on the test split; prints JSON.
        Eval {
            #[arg(long)]
            weights: PathBuf,
            /// Defaults to the dataset named in the file.
            #[arg(long, value_enum)]
            dataset: Option<DatasetArg>,
            #[arg(long, default_value_t = 0)]
            seed: u64,
        },
        /// ln p(x), ELBO and gap of one test image; prints JSON.
        Evidence {
            #[arg(long)]
            weights: PathBuf,
            #[arg(long, value_enum)]
            dataset: Option<DatasetArg>,
            #[arg(long, default_value_t = 0)]
            index: usize,
            /// Quadrature grid side.
            #[arg(long, default_value_t = 64)]
            grid: usize,
            /// Importance samples.
            #[arg(long, default_value_t = 5000)]
            samples: usize,
        },
    }

    type Error = Box<dyn std::error::Error>;

    pub fn main() -> ExitCode {
        let cli = Cli::parse();
        match run(cli) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        }
    }

    fn clock() -> f64 {
        static START: OnceLock<Instant> = OnceLock::new();
        START.get_or_init(Instant::now).elapsed().as_secs_f64()
    }

    fn run(cli: Cli) -> Result<(), Error> {
        let device = Default::default();
        match cli.command {
            Command::Train {
                dataset,
                small,
                epochs,
                hidden,
                lr,
                batch,
                beta,
                decoder,
                sigma,
                seed,
                out,
                history,
                quiet,
            } => {
                let dataset: Dataset = dataset.into();
                let split = if small { Split::Train10k } else { Split::Train };
                let train = Arc::new(Digits::load(&cli.data_dir, dataset, split)?);
                let test = Digits::load(&cli.data_dir, dataset, Split::Test)?;
                let likelihood = match decoder {
                    DecoderArg::Bernoulli => Likelihood::Bernoulli,
                    DecoderArg::Gaussian => Likelihood::Gaussian { sigma },
                };
                let settings = TrainSettings {
                    learning_rate: lr,
                    beta,
                    batch_size: batch,
                    likelihood,
                    log_every: 50,
                };
                let config = VaeConfig::new().with_hidden(hidden).with_seed(seed);
                let mut trainer =
                    Trainer::<CpuTrain>::new(config, train.clone(), settings, clock, device)?;
                let steps_per_epoch = train.len().div_ceil(batch);
                let total = (epochs * steps_per_epoch as f64).round() as usize;
                let bar = progress_bar(total as u64, quiet);
                while trainer.step() < total {
                    let n = 50.min(total - trainer.step());
                    let report = block_on(trainer.train_steps(n))?;
                    bar.inc(report.steps as u64);
                    bar.set_message(format!(
                        "epoch {:.2}  KL {:.2}  recon {:.2}  -ELBO {:.2}  {:.0} img/s",
                        trainer.epoch(),
                        report.parts.kl,
                        report.parts.recon,
                        report.parts.neg_elbo(),
                        report.images_per_second()
                    ));
                }
                bar.finish();
                let model = trainer.inference_model();
                let test_parts = block_on(evaluate(&model, &test, likelihood, 0, &device))?;
                let train_seconds = trainer.train_seconds();
                let summary = json!({
                    "dataset": dataset.key(),
                    "train_images": train.len(),
                    "hidden": hidden,
                    "epochs": trainer.epoch(),
                    "steps": trainer.step(),
                    "batch_size": batch,
                    "learning_rate": lr,
                    "beta": beta,
                    "likelihood": likelihood,
                    "seed": seed,
                    "train_seconds": train_seconds,
                    "images_per_second": trainer.images_seen() as f64 / train_seconds.max(1e-9),
                    "test": {
                        "neg_elbo": test_parts.neg_elbo(),
                        "kl": test_parts.kl,
                        "recon": test_parts.recon,
                    },
                });
                if let Some(path) = out {
                    let provenance = Provenance {
                        dataset: Some(dataset),
                        likelihood,
                        steps: trainer.step() as u64,
                        note: format!(
                            "test -ELBO {:.2} (recon {:.2} + KL {:.2}) after {:.1} epochs",
                            test_parts.neg_elbo(),
                            test_parts.recon,
                            test_parts.kl,
                            trainer.epoch()
                        ),
                    };
                    let bytes = block_on(weights::encode(&model, seed, &provenance))?;
                    write(&path, &bytes)?;
                }
                if let Some(path) = history {
                    write_history(&path, trainer.history())?;
                }
                println!("{}", serde_json::to_string_pretty(&summary)?);
            }
            Command::Eval {
                weights,
                dataset,
                seed,
            } => {
                let bytes = std::fs::read(&weights)?;
                let (model, header) = weights::decode::<Cpu>(&bytes, &device)?;
                let dataset = pick_dataset(dataset, header.dataset);
                let test = Digits::load(&cli.data_dir, dataset, Split::Test)?;
                let parts = block_on(evaluate(&model, &test, header.likelihood, seed, &device))?;
                let summary = json!({
                    "weights": weights.display().to_string(),
                    "dataset": dataset.key(),
                    "config": header.config,
                    "likelihood": header.likelihood,
                    "test_images": test.len(),
                    "test_neg_elbo": parts.neg_elbo(),
                    "kl": parts.kl,
                    "recon": parts.recon,
                });
                println!("{}", serde_json::to_string_pretty(&summary)?);
            }
            Command::Evidence {
                weights,
                dataset,
                index,
                grid,
                samples,
            } => {
                let bytes = std::fs::read(&weights)?;
                let (model, header) = weights::decode::<Cpu>(&bytes, &device)?;
                let dataset = pick_dataset(dataset, header.dataset);
                let test = Digits::load(&cli.data_dir, dataset, Split::Test)?;
                if index >= test.len() {
                    return Err(format!("--index must be below {}", test.len()).into());
                }
                let x = test.image_f32(index);
                let ev = block_on(evidence_by_quadrature(
                    &model,
                    &x,
                    header.likelihood,
                    grid,
                    &device,
                ))?;
                let is = block_on(evidence_by_importance_sampling(
                    &model,
                    &x,
                    header.likelihood,
                    samples,
                    0,
                    &device,
                ))?;
                let summary = json!({
                    "index": index,
                    "label": test.label(index),
                    "log_px_quadrature": ev.log_px,
                    "log_px_importance": is,
                    "importance_samples": samples,
                    "elbo": ev.elbo,
                    "recon": ev.recon,
                    "kl": ev.kl,
                    "gap": ev.gap,
                    "posterior": ev.posterior,
                    "grid": ev.grid,
                });
                println!("{}", serde_json::to_string_pretty(&summary)?);
            }
        }
        Ok(())
    }

    fn pick_dataset(arg: Option<DatasetArg>, from_file: Option<Dataset>) -> Dataset {
        arg.map(Dataset::from)
            .or(from_file)
            .unwrap_or(Dataset::Mnist)
    }

    fn progress_bar(total: u64, quiet: bool) -> ProgressBar {
        if quiet {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(total);
        if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} steps  {msg}") {
            bar.set_style(style);
        }
        bar
    }

    fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, bytes)?;
        Ok(())
    }

    fn write_history(path: &Path, rows: &[vae_playground::train::HistoryRow]) -> Result<(), Error> {
        if path.extension().is_some_and(|e| e == "json") {
            return write(path, serde_json::to_string_pretty(rows)?.as_bytes());
        }
        let mut csv = String::from(
            "step,epoch,images_seen,kl,recon,neg_elbo,loss,beta,learning_rate,wall_seconds\n",
        );
        for r in rows {
            csv += &format!(
                "{},{:.4},{},{:.4},{:.4},{:.4},{:.4},{},{},{:.3}\n",
                r.step,
                r.epoch,
                r.images_seen,
                r.kl,
                r.recon,
                r.neg_elbo,
                r.loss,
                r.beta,
                r.learning_rate,
                r.wall_seconds
            );
        }
        write(path, csv.as_bytes())
    }
}
