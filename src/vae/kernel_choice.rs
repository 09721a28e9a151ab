//! Which matrix-product kernel runs each of the model's products on WebGPU: ours
//! (`wgpu_matmul.wgsl`, fast on software adapters) or Burn's (tuned for real GPUs). Decided by
//! timing both on the products a training step makes, within a budget, and remembered per
//! adapter. Plain Rust: the plan, the decision and the remembered file are tested natively; the
//! timing itself is `wgpu_matmul::measure`.

use serde::{Deserialize, Serialize};

use crate::data::PIXELS;

/// A matrix-product kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Kernel {
    /// Our register-tiled WGSL kernel.
    Ours,
    /// Burn's wgpu matmul.
    Burn,
}

impl Kernel {
    pub const BOTH: [Kernel; 2] = [Kernel::Ours, Kernel::Burn];

    pub fn other(self) -> Kernel {
        match self {
            Kernel::Ours => Kernel::Burn,
            Kernel::Burn => Kernel::Ours,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Kernel::Ours => "ours",
            Kernel::Burn => "burn",
        }
    }

    /// As the page names it.
    pub fn title(self) -> &'static str {
        match self {
            Kernel::Ours => "ours",
            Kernel::Burn => "Burn's",
        }
    }
}

/// What the user asked for: measure and keep the faster (`auto`), or one kernel throughout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum KernelSetting {
    #[default]
    Auto,
    Force(Kernel),
}

impl KernelSetting {
    pub const ALL: [KernelSetting; 3] = [
        KernelSetting::Auto,
        KernelSetting::Force(Kernel::Ours),
        KernelSetting::Force(Kernel::Burn),
    ];

    /// The URL's spelling: `auto`, `ours` or `burn`.
    pub fn key(self) -> &'static str {
        match self {
            KernelSetting::Auto => "auto",
            KernelSetting::Force(k) => k.key(),
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }
}

/// The sizes of one product `lhs (m × k) · rhs (k × n)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Product {
    pub m: usize,
    pub k: usize,
    pub n: usize,
}

impl Product {
    pub fn new(m: usize, k: usize, n: usize) -> Self {
        Self { m, k, n }
    }

    /// Multiply-adds.
    pub fn size(&self) -> f64 {
        (self.m * self.k * self.n) as f64
    }

    /// Whether our kernel covers it: every size a multiple of 4 (others go to Burn's anyway).
    pub fn ours_covers(&self) -> bool {
        [self.m, self.k, self.n]
            .iter()
            .all(|&d| d > 0 && d % 4 == 0)
    }
}

/// The products of one training step with batches of `batch` and `hidden` units that both
/// kernels can run: the encoder's first layer and the decoder's last, forward and backward.
/// (The 2-wide latent layers are not covered by ours, so Burn's runs them either way.)
pub fn training_products(batch: usize, hidden: usize) -> Vec<Product> {
    let all = [
        // x · W1 forward, and the decoder's dL/dh = g · W4ᵀ.
        Product::new(batch, PIXELS, hidden),
        // h · W4 forward.
        Product::new(batch, hidden, PIXELS),
        // dW1 = xᵀ · g.
        Product::new(PIXELS, batch, hidden),
        // dW4 = hᵀ · g.
        Product::new(hidden, batch, PIXELS),
    ];
    let mut out: Vec<Product> = Vec::new();
    for p in all.into_iter().filter(Product::ours_covers) {
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

/// Each product's kernel, and the kernel of products not named (the evaluation's batch sizes,
/// a new batch size until it is measured).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelTable {
    pub per_product: Vec<(Product, Kernel)>,
    pub otherwise: Kernel,
}

impl Default for KernelTable {
    /// Ours everywhere: what the page did before it measured.
    fn default() -> Self {
        Self::all(Kernel::Ours)
    }
}

impl KernelTable {
    /// One kernel for every product.
    pub fn all(kernel: Kernel) -> Self {
        Self {
            per_product: Vec::new(),
            otherwise: kernel,
        }
    }

    pub fn kernel(&self, product: Product) -> Kernel {
        self.per_product
            .iter()
            .find(|(p, _)| *p == product)
            .map_or(self.otherwise, |(_, k)| *k)
    }

    /// Whether every one of `products` has its own entry (a remembered table that does not
    /// cover today's shapes is measured again).
    pub fn covers(&self, products: &[Product]) -> bool {
        products
            .iter()
            .all(|p| self.per_product.iter().any(|(q, _)| q == p))
    }

    /// This table with `newer`'s entries added or replacing its own, and `newer`'s default.
    pub fn merged(&self, newer: &KernelTable) -> KernelTable {
        let mut per_product: Vec<(Product, Kernel)> = self
            .per_product
            .iter()
            .filter(|(p, _)| !newer.per_product.iter().any(|(q, _)| q == p))
            .copied()
            .collect();
        per_product.extend(newer.per_product.iter().copied());
        KernelTable {
            per_product,
            otherwise: newer.otherwise,
        }
    }

    /// "ours" or "Burn's", or how many products each runs.
    pub fn describe(&self) -> String {
        let count = |k: Kernel| self.per_product.iter().filter(|(_, q)| *q == k).count();
        match (count(Kernel::Ours), count(Kernel::Burn)) {
            (0, 0) => self.otherwise.title().to_string(),
            (_, 0) if self.otherwise == Kernel::Ours => "ours".into(),
            (0, _) if self.otherwise == Kernel::Burn => "Burn's".into(),
            (ours, burn) => format!("ours on {ours} products, Burn's on {burn}"),
        }
    }
}

/// The kernels to compile while the training images load, for a WebGPU trainer of `products`
/// under `setting`: what its first step runs when the choice is forced or `known` covers the
/// products, else what the measurement times before anything else (the first product on both).
pub fn compile_ahead(
    setting: KernelSetting,
    known: Option<&KernelTable>,
    products: &[Product],
) -> Vec<(Product, Kernel)> {
    match (setting, known) {
        (KernelSetting::Force(kernel), _) => products.iter().map(|&p| (p, kernel)).collect(),
        (KernelSetting::Auto, Some(table)) if table.covers(products) => {
            products.iter().map(|&p| (p, table.kernel(p))).collect()
        }
        (KernelSetting::Auto, _) => products
            .first()
            .map(|&p| Kernel::BOTH.map(|k| (p, k)).to_vec())
            .unwrap_or_default(),
    }
}

/// One timed run: `reps` products back to back, then one read-back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    pub product: Product,
    pub kernel: Kernel,
    pub reps: usize,
    /// The kernel's first run on this product: it compiles the kernel, so it says what
    /// starting costs, not what a training step costs.
    pub cold: bool,
}

/// A run's time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    pub product: Product,
    pub kernel: Kernel,
    pub reps: usize,
    #[serde(default)]
    pub cold: bool,
    /// Wall time of the whole run, ms.
    pub ms: f64,
}

impl Timing {
    pub fn ms_per_product(&self) -> f64 {
        self.ms / self.reps.max(1) as f64
    }
}

/// The measurement's budget (ms) for timing runs. The first product's pair of kernels is
/// compiled before the clock starts ([`crate::vae::wgpu_matmul::measure`]; the page has it
/// compiled while the training images load, see [`compile_ahead`]), and its warm runs are always
/// made until one lasts [`MIN_RUN_MS`] (a choice must have timed both kernels). Any other run is
/// started only when what was already timed says it ends inside the budget. So the first
/// product's runs can overrun it (one of Burn's products takes 251–304 ms on SwiftShader), and
/// so can another product's cold run, whose compile nothing predicts (Burn's took 296 ms on
/// an NVIDIA H200).
pub const BUDGET_MS: f64 = 250.0;
/// A warm run this long makes the read-back's latency (a fraction of a millisecond on a real
/// GPU, where one product takes microseconds) small beside the products it times.
pub const MIN_RUN_MS: f64 = 8.0;
/// Warm runs start with one product and grow by this factor while shorter than
/// [`MIN_RUN_MS`]...
pub const REPS_GROWTH: usize = 8;
/// ...up to this many products.
pub const MAX_REPS: usize = 512;

/// The measurement as it goes: which run is next, and what has been timed. Per product: a cold
/// run of each kernel, then warm runs of both kernels at the same count of products, the count
/// growing while the faster run is shorter than [`MIN_RUN_MS`]. The first product has no cold
/// runs: its kernels are compiled before the measurement starts ([`compile_ahead`]).
#[derive(Debug, Clone)]
pub struct Measurement {
    products: Vec<Product>,
    budget_ms: f64,
    /// Runs still to make, the next last.
    plan: Vec<Run>,
    pub timings: Vec<Timing>,
    /// Time in the runs (ms).
    pub spent_ms: f64,
    /// Time spent waiting for the first product's kernels to compile before the runs (ms):
    /// none when they were compiled while the training images loaded.
    pub compile_ms: f64,
}

impl Measurement {
    pub fn new(products: Vec<Product>, budget_ms: f64) -> Self {
        let mut plan: Vec<Run> = products
            .iter()
            .enumerate()
            .flat_map(|(i, &product)| {
                let pair = |reps, cold| {
                    Kernel::BOTH.map(|kernel| Run {
                        product,
                        kernel,
                        reps,
                        cold,
                    })
                };
                let cold = (i > 0).then(|| pair(1, true)).into_iter().flatten();
                cold.chain(pair(1, false))
            })
            .collect();
        plan.reverse();
        Self {
            products,
            budget_ms,
            plan,
            timings: Vec::new(),
            spent_ms: 0.0,
            compile_ms: 0.0,
        }
    }

    /// The next run to make, or `None` when done. A run that would end past the budget by what
    /// is known is dropped, unless it is on the first product.
    pub fn next_run(&mut self) -> Option<Run> {
        while let Some(run) = self.plan.pop() {
            let always = Some(&run.product) == self.products.first();
            let predicted = self.predict(run).unwrap_or(0.0);
            if always || self.spent_ms + predicted <= self.budget_ms {
                return Some(run);
            }
        }
        None
    }

    /// What `run` took (ms). When it completes a warm pair whose faster run was shorter than
    /// [`MIN_RUN_MS`], the pair is timed again with more products, next.
    pub fn record(&mut self, run: Run, ms: f64) {
        self.spent_ms += ms;
        self.timings.push(Timing {
            product: run.product,
            kernel: run.kernel,
            reps: run.reps,
            cold: run.cold,
            ms,
        });
        if run.cold || run.reps >= MAX_REPS {
            return;
        }
        let at = |k| self.warm_at(run.product, k, run.reps);
        if let (Some(ours), Some(burn)) = (at(Kernel::Ours), at(Kernel::Burn)) {
            if ours.min(burn) < MIN_RUN_MS {
                let reps = (run.reps * REPS_GROWTH).min(MAX_REPS);
                for kernel in [Kernel::Burn, Kernel::Ours] {
                    self.plan.push(Run {
                        product: run.product,
                        kernel,
                        reps,
                        cold: false,
                    });
                }
            }
        }
    }

    fn warm_at(&self, product: Product, kernel: Kernel, reps: usize) -> Option<f64> {
        self.timings
            .iter()
            .find(|t| !t.cold && t.product == product && t.kernel == kernel && t.reps == reps)
            .map(|t| t.ms)
    }

    /// `run`'s time: a warm run's from the kernel's best warm time per multiply-add; a cold
    /// run's from the kernel's first cold run (its compilation), or failing that from its warm
    /// runs.
    fn predict(&self, run: Run) -> Option<f64> {
        let of_kernel = || self.timings.iter().filter(move |t| t.kernel == run.kernel);
        let rate = |cold: bool| {
            of_kernel()
                .filter(|t| t.cold == cold)
                .map(|t| t.ms_per_product() / t.product.size())
                .min_by(f64::total_cmp)
        };
        let warm = rate(false).or(rate(true))? * run.product.size() * run.reps as f64;
        if run.cold {
            let compile = of_kernel().find(|t| t.cold).map_or(0.0, |t| t.ms);
            Some(compile.max(warm))
        } else {
            Some(warm)
        }
    }

    /// What `kernel` takes for one `product`, as the choice counts it (see [`choose`]).
    pub fn best(&self, product: Product, kernel: Kernel) -> Option<f64> {
        best(&self.timings, product, kernel)
    }

    /// The decision: [`choose`] on what was timed.
    pub fn table(&self) -> KernelTable {
        choose(&self.products, &self.timings)
    }
}

/// What `kernel` takes for one `product`, for choosing: its warm time per product at the
/// largest count of products both kernels were timed with warm; `None` without such a pair.
/// Cold runs never decide: they time compiling, which training pays once.
fn best(timings: &[Timing], product: Product, kernel: Kernel) -> Option<f64> {
    let warm_on = |k: Kernel| {
        timings
            .iter()
            .filter(move |t| !t.cold && t.product == product && t.kernel == k)
    };
    let reps = warm_on(kernel)
        .map(|t| t.reps)
        .filter(|&r| warm_on(kernel.other()).any(|t| t.reps == r))
        .max()?;
    warm_on(kernel)
        .filter(|t| t.reps == reps)
        .map(Timing::ms_per_product)
        .min_by(f64::total_cmp)
}

/// Per product, the kernel with the shorter time (see [`best`]). A product without a warm pair
/// (the budget ran out) takes the kernel that was faster over the products with one, or else
/// the one with the better time per multiply-add; with nothing timed at all, ours.
pub fn choose(products: &[Product], timings: &[Timing]) -> KernelTable {
    let mut totals = [0.0f64; 2];
    let mut per_product = Vec::new();
    let mut undecided = Vec::new();
    for &p in products {
        match (
            best(timings, p, Kernel::Ours),
            best(timings, p, Kernel::Burn),
        ) {
            (Some(ours), Some(burn)) => {
                totals[0] += ours;
                totals[1] += burn;
                let kernel = if burn < ours {
                    Kernel::Burn
                } else {
                    Kernel::Ours
                };
                per_product.push((p, kernel));
            }
            _ => undecided.push(p),
        }
    }
    let overall = if !per_product.is_empty() {
        if totals[1] < totals[0] {
            Kernel::Burn
        } else {
            Kernel::Ours
        }
    } else {
        let rate = |k: Kernel| {
            timings
                .iter()
                .filter(|t| t.kernel == k)
                .map(|t| t.ms_per_product() / t.product.size())
                .min_by(f64::total_cmp)
        };
        match (rate(Kernel::Ours), rate(Kernel::Burn)) {
            (Some(o), Some(b)) if b < o => Kernel::Burn,
            (None, Some(_)) => Kernel::Burn,
            _ => Kernel::Ours,
        }
    };
    per_product.extend(undecided.into_iter().map(|p| (p, overall)));
    KernelTable {
        per_product,
        otherwise: overall,
    }
}

/// A WebGPU adapter as far as it can be told apart: what a remembered choice is kept under.
/// Browsers do not report the driver; the page puts its browser's user agent there, since the
/// browser's WebGPU implementation sits between the kernels and the driver.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AdapterKey {
    pub vendor: String,
    pub architecture: String,
    pub description: String,
    pub driver: String,
}

impl AdapterKey {
    /// The browser-storage key of this adapter's remembered choice.
    pub fn storage_key(&self) -> String {
        let text = format!(
            "{}|{}|{}|{}",
            self.vendor, self.architecture, self.description, self.driver
        );
        format!("kernels-{:08x}", crc32fast::hash(text.as_bytes()))
    }
}

/// How the kernels in use came to be chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Chosen {
    /// Timed just now.
    Measured,
    /// Timed before on this adapter (an earlier visit, or an earlier trainer of this one).
    Remembered,
    /// The setting (or the URL) names one kernel.
    Forced,
}

/// The kernels in use and how they were chosen, with the timings when just measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KernelReport {
    pub table: KernelTable,
    pub chosen: Chosen,
    pub timings: Vec<Timing>,
    /// Wall time of the measurement (ms) once the kernels it times first were compiled, 0 when
    /// nothing was timed.
    pub spent_ms: f64,
    /// Time the measurement waited for those kernels to compile (ms).
    #[serde(default)]
    pub compile_ms: f64,
}

impl KernelReport {
    /// One line for the page.
    pub fn describe(&self) -> String {
        let kernels = self.table.describe();
        match self.chosen {
            Chosen::Forced => format!("Matmul kernel: {kernels} (forced)."),
            Chosen::Remembered => {
                format!("Matmul kernel: {kernels} (as measured before on this adapter).")
            }
            Chosen::Measured => {
                let first = self.table.per_product.first().map(|(p, _)| *p);
                let times = first
                    .map(|p| {
                        let t = |k| {
                            best(&self.timings, p, k)
                                .map_or("not timed".to_string(), |ms| format!("{ms:.1} ms"))
                        };
                        format!(
                            "; {}×{}×{}: ours {}, Burn's {}",
                            p.m,
                            p.k,
                            p.n,
                            t(Kernel::Ours),
                            t(Kernel::Burn)
                        )
                    })
                    .unwrap_or_default();
                // Under a millisecond: compiled while the images loaded.
                let waited = match self.compile_ms >= 1.0 {
                    true => format!(" after {:.0} ms compiling", self.compile_ms),
                    false => String::new(),
                };
                format!(
                    "Matmul kernel: {kernels} (measured in {:.0} ms{waited}{times}).",
                    self.spent_ms
                )
            }
        }
    }
}

/// The choice kept in browser storage for one adapter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RememberedKernels {
    pub adapter: AdapterKey,
    pub table: KernelTable,
}

/// A remembered choice that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RememberedError {
    #[error("the remembered kernel choice is not readable: {0}")]
    Malformed(#[from] serde_json::Error),
    #[error("the remembered kernel choice is of another adapter")]
    OtherAdapter,
}

impl RememberedKernels {
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The remembered table, if it is `adapter`'s.
    pub fn from_bytes(bytes: &[u8], adapter: &AdapterKey) -> Result<KernelTable, RememberedError> {
        let kept: RememberedKernels = serde_json::from_slice(bytes)?;
        if kept.adapter != *adapter {
            return Err(RememberedError::OtherAdapter);
        }
        Ok(kept.table)
    }
}
