//! The command line: arguments, dispatch, and the small subcommands; `train` and `evidence`
//! (with `inspect`) have files of their own.

mod evidence;
mod threads;
mod train;

use evidence::{evidence, inspect};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, OnceLock};
use std::time::Instant;
use train::train;

use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use pollster::block_on;
use serde_json::json;

use vae_playground::analysis::data_parallel::MAX_SHARES;
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
    /// With `--device cpu`: threads sharing each batch, as the page's gradient workers do
    /// (each computes its share's gradient; one optimiser step on their sum).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=MAX_SHARES as i64))]
    workers: u16,
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
    /// Threads sharing each batch (1: the trainer's own thread alone).
    workers: usize,
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
