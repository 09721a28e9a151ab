//! `vae train`: a model trained on a built-in set or your images, on the CPU or on wgpu.

use super::threads::ThreadHelpers;
use super::*;

fn clock() -> f64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}

pub(super) fn train(args: TrainArgs, data_dir: &Path) -> Result<(), Error> {
    let TrainArgs {
        dataset,
        images,
        polarity,
        small,
        epochs,
        hidden,
        lr,
        batch,
        beta,
        decoder,
        sigma,
        seed: SeedArg { seed },
        init,
        out,
        history,
        quiet,
        device,
        kernel,
        workers,
    } = args;
    let (dataset, train, test, classes) = match images {
        Some(path) => {
            let set = own_set(&path, polarity.polarity.into())?;
            let (train, test) = set.split(seed)?;
            (Dataset::Own, train, test, set.names().to_vec())
        }
        None => {
            let dataset: Dataset = dataset.into();
            let split = if small { Split::Train10k } else { Split::Train };
            let train = Digits::load(data_dir, dataset, split)?;
            (
                dataset,
                train,
                Digits::load(data_dir, dataset, Split::Test)?,
                Vec::new(),
            )
        }
    };
    let train = Arc::new(train);
    let likelihood = match decoder {
        DecoderArg::Bernoulli => Likelihood::Bernoulli,
        DecoderArg::Gaussian => Likelihood::Gaussian { sigma },
        DecoderArg::ContinuousBernoulli => Likelihood::ContinuousBernoulli,
    };
    let settings = TrainSettings {
        learning_rate: lr,
        beta,
        batch_size: batch,
        likelihood,
        log_every: 50,
    };
    let run = TrainRun {
        dataset,
        train,
        test,
        classes,
        settings,
        hidden,
        seed,
        epochs,
        init,
        out,
        history,
        quiet,
        workers: usize::from(workers),
    };
    match device {
        DeviceArg::Cpu => train_on::<CpuTrain>(run, None),
        DeviceArg::Gpu if workers > 1 => {
            Err("--workers shares batches on the CPU; with --device gpu it must be 1".into())
        }
        DeviceArg::Gpu => train_on_gpu(run, kernel),
    }
}

#[cfg(feature = "gpu")]
fn train_on_gpu(run: TrainRun, kernel: KernelArg) -> Result<(), Error> {
    use vae_playground::vae::backend::GpuTrain;
    use vae_playground::vae::kernel_choice::{training_products, Kernel, KernelTable, BUDGET_MS};
    use vae_playground::vae::wgpu_matmul::{measure, use_kernels};
    let (table, timings, measured_ms) = match kernel {
        KernelArg::Ours => (KernelTable::all(Kernel::Ours), Vec::new(), None),
        KernelArg::Burn => (KernelTable::all(Kernel::Burn), Vec::new(), None),
        KernelArg::Auto => {
            let products = training_products(run.settings.batch_size, run.hidden);
            let m = block_on(measure(products, BUDGET_MS, clock))?;
            let timings = m
                .timings
                .iter()
                .map(|t| {
                    json!({
                        "kernel": format!("{:?}", t.kernel),
                        "m": t.product.m,
                        "k": t.product.k,
                        "n": t.product.n,
                        "ms_per_product": t.ms_per_product(),
                        "reps": t.reps,
                        "cold": t.cold,
                    })
                })
                .collect();
            if !run.quiet {
                for t in &m.timings {
                    eprintln!(
                        "{:?} {}x{}x{}{}: {:.3} ms per product ({} reps)",
                        t.kernel,
                        t.product.m,
                        t.product.k,
                        t.product.n,
                        if t.cold { " cold" } else { "" },
                        t.ms_per_product(),
                        t.reps
                    );
                }
                eprintln!(
                    "measured in {:.0} ms after {:.0} ms compiling",
                    m.spent_ms, m.compile_ms
                );
            }
            (m.table(), timings, Some((m.spent_ms, m.compile_ms)))
        }
    };
    use_kernels(table.clone());
    let kernels = json!({
        "chosen": table.describe(),
        "timings": timings,
        "measured_ms": measured_ms.map(|(spent, _)| spent),
        "compile_ms": measured_ms.map(|(_, compile)| compile),
    });
    train_on::<GpuTrain>(run, Some(kernels))
}

#[cfg(not(feature = "gpu"))]
fn train_on_gpu(_: TrainRun, _: KernelArg) -> Result<(), Error> {
    Err("--device gpu needs a build with --features gpu".into())
}

/// Train on backend `B` (`kernels`: on the GPU, the matmul kernels in use and what their
/// measurement timed) and print the summary.
fn train_on<B: TrainBackend>(
    run: TrainRun,
    kernels: Option<serde_json::Value>,
) -> Result<(), Error> {
    let TrainRun {
        dataset,
        train,
        test,
        classes,
        settings,
        hidden,
        seed,
        epochs,
        init,
        out,
        history,
        quiet,
        workers,
    } = run;
    let (batch, likelihood) = (settings.batch_size, settings.likelihood);
    let (lr, beta) = (settings.learning_rate, settings.beta);
    let device = B::Device::default();
    let mut trainer = match init {
        Some(path) => {
            let (model, header) = weights::decode(&std::fs::read(&path)?, &device)?;
            let config = header.config.with_seed(seed);
            Trainer::<B>::with_model(
                model,
                config,
                train.clone(),
                settings,
                clock,
                device.clone(),
            )?
        }
        None => {
            let config = VaeConfig::new().with_hidden(hidden).with_seed(seed);
            Trainer::<B>::new(config, train.clone(), settings, clock, device.clone())?
        }
    };
    let steps_per_epoch = train.len().div_ceil(batch);
    let total = (epochs * steps_per_epoch as f64).round() as usize;
    let bar = progress_bar(total as u64, quiet);
    let mut helpers = ThreadHelpers::new(workers - 1);
    // Images and seconds in each tenth of the run: a falling rate shows here.
    let mut tenths = [(0u64, 0.0f64); 10];
    while trainer.step() < total {
        let n = 50.min(total - trainer.step());
        let tenth = (10 * trainer.step() / total.max(1)).min(9);
        let report = block_on(trainer.train_steps_with(n, &mut helpers))?;
        tenths[tenth].0 += report.images;
        tenths[tenth].1 += report.seconds;
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
        "test_images": test.len(),
        "hidden": trainer.config().hidden,
        "epochs": trainer.epoch(),
        "steps": trainer.step(),
        "batch_size": batch,
        "learning_rate": lr,
        "beta": beta,
        "likelihood": likelihood,
        "seed": seed,
        "device": kernels.as_ref().map_or("cpu", |_| "gpu"),
        "workers": workers,
        "helper_shares": helpers.shares_computed,
        "kernels": kernels,
        "train_seconds": train_seconds,
        "images_per_second": trainer.images_seen() as f64 / train_seconds.max(1e-9),
        "images_per_second_by_tenth": tenths
            .iter()
            .map(|(images, seconds)| (*images as f64 / seconds.max(1e-9)).round())
            .collect::<Vec<_>>(),
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
            classes,
        };
        let bytes = block_on(weights::encode(&model, seed, &provenance))?;
        write(&path, &bytes)?;
    }
    if let Some(path) = history {
        write_history(&path, trainer.history())?;
    }
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(())
}
