//! `vae`: train, evaluate and inspect playground models natively, on Burn's CPU backend.
//!
//! ```text
//! cargo run --release --bin vae -- train --dataset mnist --epochs 10 --out model.vaew
//! cargo run --release --bin vae -- eval --weights www/weights/mnist.vaew
//! cargo run --release --bin vae -- evidence --weights www/weights/mnist.vaew --index 0
//! cargo run --release --bin vae -- evidence --weights www/weights/mnist.vaew --all --gap-check
//! cargo run --release --bin vae -- evidence --weights www/weights/mnist.vaew --index 0 --gap-split
//! cargo run --release --bin vae -- evidence --weights www/weights/mnist.vaew --all --gap-split --count 1000
//! cargo run --release --bin vae -- inspect --weights www/weights/mnist.vaew --index 0
//! cargo run --release --bin vae -- dataset pack my-images/ -o set.vaed
//! cargo run --release --bin vae -- train --images my-images/ --epochs 50 --out model.vaew
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

    use clap::{Args, Parser, Subcommand, ValueEnum};
    use indicatif::{ProgressBar, ProgressStyle};
    use pollster::block_on;
    use serde_json::json;

    use vae_playground::analysis::eval::evaluate;
    use vae_playground::analysis::evidence::{
        evidence_by_importance_sampling, evidence_by_quadrature, evidence_with_gap_split, Evidence,
        Grid,
    };
    use vae_playground::analysis::gap_split::{GapSplit, GAP_NODES};
    use vae_playground::analysis::train::{TrainSettings, Trainer};
    use vae_playground::data::image_folder::read_folder;
    use vae_playground::data::own::{OwnSet, Polarity};
    use vae_playground::data::{dataset_file, Dataset, Digits, Split};
    use vae_playground::services::session::AnyVae;
    use vae_playground::vae::backend::{Cpu, CpuTrain, ReadbackError};
    use vae_playground::vae::dense::TrainBackend;
    use vae_playground::vae::elbo::Likelihood;
    use vae_playground::vae::model::VaeConfig;
    use vae_playground::vae::weights::{self, Provenance};

    #[derive(Parser)]
    #[command(
        name = "vae",
        about = "Train and evaluate 2-D latent VAEs on MNIST / Fashion-MNIST / binarised MNIST"
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
        /// MNIST binarised: training images afresh each epoch, the test split once (fixed seed).
        MnistBin,
    }

    impl From<DatasetArg> for Dataset {
        fn from(d: DatasetArg) -> Self {
            match d {
                DatasetArg::Mnist => Dataset::Mnist,
                DatasetArg::Fashion => Dataset::Fashion,
                DatasetArg::MnistBin => Dataset::MnistBin,
            }
        }
    }

    #[derive(Clone, Copy, ValueEnum)]
    enum DecoderArg {
        Bernoulli,
        Gaussian,
        /// A density on [0, 1] per pixel (Loaiza-Ganem & Cunningham, 2019).
        ContinuousBernoulli,
    }

    #[derive(Subcommand)]
    enum Command {
        /// Train from scratch, write weights and the loss history, evaluate on the test split.
        Train(TrainArgs),
        /// Evaluate a weights file on the test split; prints JSON.
        Eval(EvalArgs),
        /// ln p(x), ELBO and gap of one test image; prints JSON.
        Evidence(EvidenceArgs),
        /// Write the decoder-only f16 preview of a weights file (what the page paints its first
        /// image with, while the whole model loads); prints the two sizes.
        Preview(PreviewArgs),
        /// Time `AnyVae::inspect` (what the page computes for one image) and a 20x20 grid decode;
        /// prints JSON with milliseconds.
        Inspect(InspectArgs),
        /// Your own images as a dataset file (`.vaed`, what the page downloads and loads).
        #[command(subcommand)]
        Dataset(DatasetCommand),
        /// The GPU adapter wgpu picks natively (needs `--features gpu`); prints JSON. Fails when
        /// there is none.
        Adapter,
    }

    #[derive(Subcommand)]
    enum DatasetCommand {
        /// Pack a folder of image files (sub-folder names are the classes) into a dataset file;
        /// prints JSON: images, classes, counts, skipped files and why.
        Pack(PackArgs),
    }

    #[derive(Args)]
    struct PackArgs {
        /// The folder of images.
        dir: PathBuf,
        /// The dataset file to write.
        #[arg(short, long)]
        out: PathBuf,
        #[command(flatten)]
        polarity: PolarityArg,
    }

    /// `--polarity`: which way image files' ink runs.
    #[derive(Args)]
    struct PolarityArg {
        /// `auto` inverts images with a light border (dark ink on light paper).
        #[arg(long, value_enum, default_value = "auto")]
        polarity: PolarityValue,
    }

    #[derive(Clone, Copy, ValueEnum)]
    enum PolarityValue {
        Auto,
        LightOnDark,
        DarkOnLight,
    }

    impl From<PolarityValue> for Polarity {
        fn from(p: PolarityValue) -> Self {
            match p {
                PolarityValue::Auto => Polarity::Auto,
                PolarityValue::LightOnDark => Polarity::LightOnDark,
                PolarityValue::DarkOnLight => Polarity::DarkOnLight,
            }
        }
    }

    /// `vae train`'s arguments.
    #[derive(Args)]
    struct TrainArgs {
        #[arg(long, value_enum, default_value = "mnist")]
        dataset: DatasetArg,
        /// Train on your own images instead: a folder of image files (sub-folder names are the
        /// classes) or a dataset file (`.vaed`), split into training and test images by `--seed`.
        #[arg(long, conflicts_with_all = ["dataset", "small"])]
        images: Option<PathBuf>,
        #[command(flatten)]
        polarity: PolarityArg,
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
        #[command(flatten)]
        seed: SeedArg,
        /// Continue from this weights file (with a fresh optimiser, as the page's Train
        /// does) instead of fresh weights; its architecture replaces `--hidden`.
        #[arg(long)]
        init: Option<PathBuf>,
        /// Weights file to write.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Loss history to write, as CSV (or JSON if the name ends in .json).
        #[arg(long)]
        history: Option<PathBuf>,
        #[arg(long)]
        quiet: bool,
        /// Where to train: Burn's CPU backend, or wgpu (Vulkan/Metal/DX12; needs a build with
        /// `--features gpu`).
        #[arg(long, value_enum, default_value = "cpu")]
        device: DeviceArg,
        /// With `--device gpu`: the matmul kernel of the dense layers; `auto` times both on
        /// the training step's products first, as the page does.
        #[arg(long, value_enum, default_value = "auto")]
        kernel: KernelArg,
    }

    #[derive(Clone, Copy, PartialEq, ValueEnum)]
    enum DeviceArg {
        Cpu,
        Gpu,
    }

    #[derive(Clone, Copy, ValueEnum)]
    enum KernelArg {
        Auto,
        Ours,
        Burn,
    }

    /// `vae train` after its data is read: what the backend-generic part needs.
    struct TrainRun {
        dataset: Dataset,
        train: Arc<Digits>,
        test: Digits,
        classes: Vec<String>,
        settings: TrainSettings,
        hidden: usize,
        seed: u64,
        epochs: f64,
        init: Option<PathBuf>,
        out: Option<PathBuf>,
        history: Option<PathBuf>,
        quiet: bool,
    }

    /// `--weights` and `--dataset`: a weights file, and the data set whose test split it is
    /// evaluated on.
    #[derive(Args)]
    struct ModelArgs {
        #[arg(long)]
        weights: PathBuf,
        #[arg(long, value_enum)]
        dataset: Option<DatasetArg>,
    }

    /// `vae eval`'s arguments: the one subcommand whose `--dataset` has a help line.
    #[derive(Args)]
    #[command(mut_arg("dataset", |a| a.help("Defaults to the dataset named in the file")))]
    struct EvalArgs {
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        seed: SeedArg,
    }

    /// `vae evidence`'s arguments.
    #[derive(Args)]
    struct EvidenceArgs {
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        image: ImageArg,
        /// Quadrature grid side.
        #[arg(long, default_value_t = 64)]
        grid: usize,
        /// Importance samples.
        #[arg(long, default_value_t = 5000)]
        samples: usize,
        /// Every test image (or the first `--count`) instead of `--index`; needs `--gap-check`
        /// or `--gap-split`.
        #[arg(long)]
        all: bool,
        /// With `--all`: check ln p(x) - ELBO(x) >= 0 by quadrature for each image and print
        /// the smallest gap, how many fall below 0 and below -1e-3 nat, and the time taken.
        #[arg(long, requires = "all")]
        gap_check: bool,
        /// Split the gap into approximation and amortisation (q*, the best Gaussian for the
        /// image, by Newton's method on a Gauss–Hermite ELBO). With `--all`: their averages.
        #[arg(long, conflicts_with = "gap_check")]
        gap_split: bool,
        /// With `--all`: only this many test images.
        #[arg(long)]
        count: Option<usize>,
        /// With `--all`: start at this test image (to split the check across processes).
        #[arg(long, default_value_t = 0)]
        from: usize,
    }

    /// `vae preview`'s arguments.
    #[derive(Args)]
    struct PreviewArgs {
        #[arg(long)]
        weights: PathBuf,
        #[arg(long)]
        out: PathBuf,
    }

    /// `vae inspect`'s arguments.
    #[derive(Args)]
    struct InspectArgs {
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        image: ImageArg,
        /// Heat-map grid side over the box +-`half` in both latent coordinates.
        #[arg(long, default_value_t = 64)]
        view_n: usize,
        #[arg(long, default_value_t = 4.0)]
        half: f64,
        /// Images decoded at z ~ q(z|x).
        #[arg(long, default_value_t = 16)]
        samples: usize,
        #[arg(long, default_value_t = 256)]
        iwae_k: usize,
        /// Timed repetitions (after one warm-up run).
        #[arg(long, default_value_t = 5)]
        repeat: usize,
    }

    /// `--seed`: the seed of the model's weights (`train`) or of the z samples (`eval`).
    #[derive(Args)]
    struct SeedArg {
        #[arg(long, default_value_t = 0)]
        seed: u64,
    }

    /// `--index`: one image of the test split.
    #[derive(Args)]
    struct ImageArg {
        #[arg(long, default_value_t = 0)]
        index: usize,
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

    fn run(cli: Cli) -> Result<(), Error> {
        let data_dir = &cli.data_dir;
        match cli.command {
            Command::Train(args) => train(args, data_dir),
            Command::Eval(args) => eval(args, data_dir),
            Command::Evidence(args) => evidence(args, data_dir),
            Command::Preview(args) => preview(args),
            Command::Inspect(args) => inspect(args, data_dir),
            Command::Dataset(DatasetCommand::Pack(args)) => pack(args),
            Command::Adapter => adapter(),
        }
    }

    #[cfg(feature = "gpu")]
    fn adapter() -> Result<(), Error> {
        use burn::backend::wgpu::{graphics::AutoGraphicsApi, init_setup, WgpuDevice};
        // wgpu's set-up panics when it finds no adapter: say so plainly instead.
        std::panic::set_hook(Box::new(|_| {}));
        let setup = std::panic::catch_unwind(|| {
            init_setup::<AutoGraphicsApi>(&WgpuDevice::default(), Default::default())
        })
        .map_err(|_| "wgpu found no GPU adapter")?;
        let _ = std::panic::take_hook();
        let info = setup.adapter.get_info();
        let device_type = format!("{:?}", info.device_type);
        let summary = json!({
            "name": info.name,
            "vendor": info.vendor,
            "device": info.device,
            "device_type": device_type,
            "driver": info.driver,
            "driver_info": info.driver_info,
            "backend": format!("{:?}", info.backend),
            // A CPU-backed adapter (lavapipe, SwiftShader): wgpu's DeviceType::Cpu.
            "software": device_type == "Cpu",
        });
        println!("{}", serde_json::to_string_pretty(&summary)?);
        Ok(())
    }

    #[cfg(not(feature = "gpu"))]
    fn adapter() -> Result<(), Error> {
        Err("`vae adapter` needs a build with --features gpu".into())
    }

    impl ModelArgs {
        /// The weights file's bytes.
        fn read(&self) -> Result<Vec<u8>, Error> {
            Ok(std::fs::read(&self.weights)?)
        }

        /// The test split of `--dataset`, else of the dataset the file names (`from_file`), else
        /// of MNIST.
        fn test_split(
            &self,
            data_dir: &Path,
            from_file: Option<Dataset>,
        ) -> Result<(Dataset, Digits), Error> {
            let dataset = pick_dataset(self.dataset, from_file);
            Ok((dataset, Digits::load(data_dir, dataset, Split::Test)?))
        }
    }

    impl ImageArg {
        /// Test image `--index` (pixels in [0, 1]), if `test` has it.
        fn image(&self, test: &Digits) -> Result<Vec<f32>, Error> {
            if self.index >= test.len() {
                return Err(format!("--index must be below {}", test.len()).into());
            }
            Ok(test.image_f32(self.index))
        }
    }

    fn clock() -> f64 {
        static START: OnceLock<Instant> = OnceLock::new();
        START.get_or_init(Instant::now).elapsed().as_secs_f64()
    }

    fn train(args: TrainArgs, data_dir: &Path) -> Result<(), Error> {
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
        };
        match device {
            DeviceArg::Cpu => train_on::<CpuTrain>(run, None),
            DeviceArg::Gpu => train_on_gpu(run, kernel),
        }
    }

    #[cfg(feature = "gpu")]
    fn train_on_gpu(run: TrainRun, kernel: KernelArg) -> Result<(), Error> {
        use vae_playground::vae::backend::GpuTrain;
        use vae_playground::vae::kernel_choice::{
            training_products, Kernel, KernelTable, BUDGET_MS,
        };
        use vae_playground::vae::wgpu_matmul::{measure, use_kernels};
        let table = match kernel {
            KernelArg::Ours => KernelTable::all(Kernel::Ours),
            KernelArg::Burn => KernelTable::all(Kernel::Burn),
            KernelArg::Auto => {
                let products = training_products(run.settings.batch_size, run.hidden);
                let m = block_on(measure(products, BUDGET_MS, clock))?;
                if !run.quiet {
                    for t in &m.timings {
                        eprintln!(
                            "{:?} {}x{}x{}: {:.3} ms per product ({} reps)",
                            t.kernel,
                            t.product.m,
                            t.product.k,
                            t.product.n,
                            t.ms_per_product(),
                            t.reps
                        );
                    }
                }
                m.table()
            }
        };
        use_kernels(table.clone());
        train_on::<GpuTrain>(run, Some(table.describe()))
    }

    #[cfg(not(feature = "gpu"))]
    fn train_on_gpu(_: TrainRun, _: KernelArg) -> Result<(), Error> {
        Err("--device gpu needs a build with --features gpu".into())
    }

    /// Train on backend `B` (`kernels`: the matmul kernels in use, on the GPU) and print the
    /// summary.
    fn train_on<B: TrainBackend>(run: TrainRun, kernels: Option<String>) -> Result<(), Error> {
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
        // Images and seconds in each tenth of the run: a falling rate shows here.
        let mut tenths = [(0u64, 0.0f64); 10];
        while trainer.step() < total {
            let n = 50.min(total - trainer.step());
            let tenth = (10 * trainer.step() / total.max(1)).min(9);
            let report = block_on(trainer.train_steps(n))?;
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

    /// A user's set: a dataset file, or a folder of image files (skipped files are listed on
    /// stderr).
    fn own_set(path: &Path, polarity: Polarity) -> Result<OwnSet, Error> {
        if path.is_dir() {
            let folder = read_folder(path, polarity)?;
            for skipped in &folder.skipped {
                eprintln!("skipped {}: {}", skipped.path, skipped.why);
            }
            Ok(folder.set)
        } else {
            Ok(dataset_file::decode(&std::fs::read(path)?)?)
        }
    }

    fn pack(args: PackArgs) -> Result<(), Error> {
        let folder = read_folder(&args.dir, args.polarity.polarity.into())?;
        write(&args.out, &dataset_file::encode(&folder.set))?;
        let summary = json!({
            "out": args.out.display().to_string(),
            "images": folder.set.len(),
            "classes": folder.set.names(),
            "counts": folder.set.counts(),
            "inverted": folder.inverted,
            "skipped": folder
                .skipped
                .iter()
                .map(|s| json!({ "path": s.path, "why": s.why }))
                .collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&summary)?);
        Ok(())
    }

    fn eval(args: EvalArgs, data_dir: &Path) -> Result<(), Error> {
        let device = Default::default();
        let bytes = args.model.read()?;
        let (model, header) = weights::decode::<Cpu>(&bytes, &device)?;
        let (dataset, test) = args.model.test_split(data_dir, header.dataset)?;
        let parts = block_on(evaluate(
            &model,
            &test,
            header.likelihood,
            args.seed.seed,
            &device,
        ))?;
        let summary = json!({
            "weights": args.model.weights.display().to_string(),
            "dataset": dataset.key(),
            "config": header.config,
            "likelihood": header.likelihood,
            "test_images": test.len(),
            "test_neg_elbo": parts.neg_elbo(),
            "kl": parts.kl,
            "recon": parts.recon,
        });
        println!("{}", serde_json::to_string_pretty(&summary)?);
        Ok(())
    }

    fn evidence(args: EvidenceArgs, data_dir: &Path) -> Result<(), Error> {
        let device = Default::default();
        let bytes = args.model.read()?;
        let (model, header) = weights::decode::<Cpu>(&bytes, &device)?;
        let (_, test) = args.model.test_split(data_dir, header.dataset)?;
        if args.all {
            let from = args.from.min(test.len());
            let n = args.count.unwrap_or(test.len()).min(test.len() - from);
            let range = from..from + n;
            let summary = if args.gap_check {
                check_gaps(&model, &test, header.likelihood, args.grid, range)?
            } else if args.gap_split {
                average_gap_split(&model, &test, header.likelihood, args.grid, range)?
            } else {
                return Err("--all needs --gap-check or --gap-split".into());
            };
            println!("{}", serde_json::to_string_pretty(&summary)?);
            return Ok(());
        }
        let x = args.image.image(&test)?;
        let index = args.image.index;
        // With --gap-split, the quadrature's box also covers q* (as on the page).
        let start = Instant::now();
        let (ev, split) = if args.gap_split {
            let (ev, split) = evidence_and_split(&model, &x, header.likelihood, args.grid)?;
            (ev, Some(split))
        } else {
            let ev = evidence_by_quadrature(&model, &x, header.likelihood, args.grid, &device);
            (block_on(ev)?, None)
        };
        let ms = start.elapsed().as_secs_f64() * 1e3;
        let is = block_on(evidence_by_importance_sampling(
            &model,
            &x,
            header.likelihood,
            args.samples,
            0,
            &device,
        ))?;
        // ms: ln p(x), the ELBO and the split together (the split alone is most of it).
        let split = split
            .map(|s| json!({"split": s, "total_gap": s.total_gap(), "evidence_and_split_ms": ms}));
        let mut summary = json!({
            "index": index,
            "label": test.label(index),
            "reading": header.likelihood.reading(&x),
            "log_px_quadrature": ev.log_px,
            "log_px_importance": is,
            "importance_samples": args.samples,
            "elbo": ev.elbo,
            "recon": ev.recon,
            "kl": ev.kl,
            "gap": ev.gap,
            "posterior": ev.posterior,
            "grid": ev.grid,
        });
        if let Some(split) = split {
            summary["gap_split"] = split;
        }
        println!("{}", serde_json::to_string_pretty(&summary)?);
        Ok(())
    }

    /// ln p(x), the ELBO and the gap split of `x` (what the page's inspection computes).
    fn evidence_and_split(
        model: &vae_playground::vae::model::Vae<Cpu>,
        x: &[f32],
        likelihood: Likelihood,
        grid: usize,
    ) -> Result<(Evidence, GapSplit), Error> {
        let (ev, split) = block_on(evidence_with_gap_split(
            model,
            x,
            likelihood,
            grid,
            &Default::default(),
        ))?;
        let split = split.ok_or("the gap split needs a 2-D latent space")?;
        Ok((ev, split))
    }

    /// Means of the gap split's numbers over the test images in `range`.
    fn average_gap_split(
        model: &vae_playground::vae::model::Vae<Cpu>,
        test: &Digits,
        likelihood: Likelihood,
        grid: usize,
        range: std::ops::Range<usize>,
    ) -> Result<serde_json::Value, Error> {
        let count = range.len();
        let first = range.start;
        let bar = progress_bar(count as u64, false);
        let start = Instant::now();
        // Sums of: ln p(x), ELBO(q_phi), ELBO(q*), ELBO(full q*), the approximation,
        // amortisation and full-covariance approximation gaps, and ELBO(q*) by Gauss-Hermite.
        let mut sums = [0.0f64; 8];
        let (mut not_converged, mut max_iterations) = (0usize, 0usize);
        let mut min_approximation = (f64::INFINITY, first);
        for i in range {
            let x = test.image_f32(i);
            let (_, s) = evidence_and_split(model, &x, likelihood, grid)?;
            let values = [
                s.log_px,
                s.elbo_encoder,
                s.elbo_diagonal,
                s.elbo_full,
                s.approximation_gap,
                s.amortisation_gap,
                s.full_approximation_gap,
                s.diagonal.elbo,
            ];
            if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
                return Err(format!("image {i}: a number of its split is {bad}").into());
            }
            for (sum, v) in sums.iter_mut().zip(values) {
                *sum += v;
            }
            not_converged += usize::from(!s.diagonal.converged || !s.full.converged);
            max_iterations = max_iterations.max(s.diagonal.iterations.max(s.full.iterations));
            if s.approximation_gap < min_approximation.0 {
                min_approximation = (s.approximation_gap, i);
            }
            bar.inc(1);
        }
        bar.finish();
        let n = count.max(1) as f64;
        let mean = |k: usize| sums[k] / n;
        Ok(json!({
            "images": count,
            "from": first,
            "grid": grid,
            "gauss_hermite_nodes": GAP_NODES,
            "mean_log_px": mean(0),
            "mean_elbo_encoder": mean(1),
            "mean_elbo_diagonal_q_star": mean(2),
            "mean_elbo_full_q_star": mean(3),
            "mean_total_gap": mean(0) - mean(1),
            "mean_approximation_gap": mean(4),
            "mean_amortisation_gap": mean(5),
            "mean_full_approximation_gap": mean(6),
            "mean_elbo_diagonal_q_star_gauss_hermite": mean(7),
            "min_approximation_gap": min_approximation.0,
            "min_approximation_gap_index": min_approximation.1,
            "not_converged": not_converged,
            "max_iterations": max_iterations,
            "seconds": start.elapsed().as_secs_f64(),
            "ms_per_image": 1e3 * start.elapsed().as_secs_f64() / n,
        }))
    }

    fn preview(args: PreviewArgs) -> Result<(), Error> {
        let device = Default::default();
        let bytes = std::fs::read(&args.weights)?;
        let (model, header) = weights::decode::<Cpu>(&bytes, &device)?;
        let provenance = weights::Provenance {
            dataset: header.dataset,
            likelihood: header.likelihood,
            steps: header.steps,
            note: header.note,
            classes: header.classes,
        };
        let preview = block_on(weights::encode_preview(
            &model,
            header.config.seed,
            &provenance,
        ))?;
        std::fs::write(&args.out, &preview)?;
        println!(
            "{}",
            json!({"weights_bytes": bytes.len(), "preview_bytes": preview.len()})
        );
        Ok(())
    }

    fn inspect(args: InspectArgs, data_dir: &Path) -> Result<(), Error> {
        let InspectArgs {
            model: source,
            image,
            view_n,
            half,
            samples,
            iwae_k,
            repeat,
        } = args;
        let bytes = source.read()?;
        let header = weights::decode::<Cpu>(&bytes, &Default::default())?.1;
        let model = AnyVae::from_weights(&bytes)?;
        let (_, test) = source.test_split(data_dir, header.dataset)?;
        let x = image.image(&test)?;
        let view = Grid {
            z1: (-half, half),
            z2: (-half, half),
            n: view_n,
        };
        let inspect = || block_on(model.inspect(&x, header.likelihood, view, samples, iwae_k, 0));
        let result = inspect()?; // warm-up
        let inspect_ms = time_ms(repeat, || inspect().map(drop))?;
        let decode_view = Grid { n: 20, ..view };
        let z: Vec<f32> = decode_view
            .points()
            .iter()
            .flatten()
            .map(|&v| v as f32)
            .collect();
        block_on(model.decode(&z))?; // warm-up
        let decode_ms = time_ms(repeat, || block_on(model.decode(&z)).map(drop))?;
        let heat_mass: f64 = result.heat.iter().sum::<f64>() * view.cell_area();
        let summary = json!({
            "index": image.index,
            "view": view,
            "samples": samples,
            "iwae_k": iwae_k,
            "repeat": repeat,
            "inspect_ms": inspect_ms,
            "decode_20x20_ms": decode_ms,
            "log_px": result.evidence.log_px,
            "iwae": result.iwae,
            "elbo": result.evidence.elbo,
            "gap": result.evidence.gap,
            "quadrature_grid": result.evidence.grid,
            "heat_mass_in_view": heat_mass,
        });
        println!("{}", serde_json::to_string_pretty(&summary)?);
        Ok(())
    }

    /// Milliseconds per call of `f` over `repeat` calls: median, min and max.
    fn time_ms(
        repeat: usize,
        mut f: impl FnMut() -> Result<(), ReadbackError>,
    ) -> Result<serde_json::Value, Error> {
        let mut ms = Vec::new();
        for _ in 0..repeat.max(1) {
            let start = Instant::now();
            f()?;
            ms.push(start.elapsed().as_secs_f64() * 1e3);
        }
        ms.sort_by(f64::total_cmp);
        Ok(json!({
            "median": ms[ms.len() / 2],
            "min": ms[0],
            "max": ms[ms.len() - 1],
        }))
    }

    /// ln p(x) - ELBO(x) by quadrature for the test images in `range`.
    fn check_gaps(
        model: &vae_playground::vae::model::Vae<Cpu>,
        test: &Digits,
        likelihood: Likelihood,
        grid: usize,
        range: std::ops::Range<usize>,
    ) -> Result<serde_json::Value, Error> {
        let device = Default::default();
        let count = range.len();
        let bar = progress_bar(count as u64, false);
        let start = Instant::now();
        let mut min_gap = f64::INFINITY;
        let mut min_index = range.start;
        let (mut below_zero, mut below_slack) = (0usize, 0usize);
        let mut sum_gap = 0.0;
        let mut sum_log_px = 0.0;
        let first = range.start;
        for i in range {
            let ev = block_on(evidence_by_quadrature(
                model,
                &test.image_f32(i),
                likelihood,
                grid,
                &device,
            ))?;
            if !ev.gap.is_finite() {
                return Err(format!("image {i}: gap {} is not finite", ev.gap).into());
            }
            if ev.gap < min_gap {
                min_gap = ev.gap;
                min_index = i;
            }
            below_zero += usize::from(ev.gap < 0.0);
            below_slack += usize::from(ev.gap < -GAP_SLACK);
            sum_gap += ev.gap;
            sum_log_px += ev.log_px;
            bar.inc(1);
            bar.set_message(format!("min gap {min_gap:.5} (image {min_index})"));
        }
        bar.finish();
        let seconds = start.elapsed().as_secs_f64();
        Ok(json!({
            "images": count,
            "from": first,
            "grid": grid,
            "min_gap": min_gap,
            "min_gap_index": min_index,
            "mean_gap": sum_gap / count.max(1) as f64,
            "mean_log_px": sum_log_px / count.max(1) as f64,
            "below_zero": below_zero,
            "slack": GAP_SLACK,
            "below_minus_slack": below_slack,
            "seconds": seconds,
            "ms_per_image": 1e3 * seconds / count.max(1) as f64,
            "ok": below_slack == 0,
        }))
    }

    /// Numerical slack for the gap check: the quadrature and the ELBO's grid integral each carry
    /// f32 decoder error and midpoint-rule error of this order on images where q fits well.
    const GAP_SLACK: f64 = 1e-3;

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

    fn write_history(
        path: &Path,
        rows: &[vae_playground::analysis::train::HistoryRow],
    ) -> Result<(), Error> {
        if path.extension().is_some_and(|e| e == "json") {
            return write(path, serde_json::to_string_pretty(rows)?.as_bytes());
        }
        let csv = vae_playground::analysis::history_csv::to_csv(rows);
        write(path, csv.as_bytes())
    }
}
