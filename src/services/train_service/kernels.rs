//! The matmul kernels of a WebGPU trainer: forced, remembered, or measured before its next
//! chunk, and put to use.

use super::*;

impl TrainService {
    /// The products a WebGPU trainer's steps make now, if there is one.
    pub(super) fn gpu_products(&self) -> Option<Vec<Product>> {
        let session = self.session.as_ref()?;
        (session.device() == Device::WebGpu)
            .then(|| training_products(session.settings().batch_size, session.config().hidden))
    }

    /// Put the kernels of the setting to use on a WebGPU trainer: one kernel when forced, the
    /// remembered choice when it covers the products, else a measurement before the next
    /// chunk (said now, so the page can say so while it runs).
    pub(super) fn choose_kernels(&mut self) -> Vec<Outgoing> {
        self.measure_due = false;
        let Some(products) = self.gpu_products() else {
            return Vec::new();
        };
        self.kernel_products = products.clone();
        let (table, chosen) = match (self.kernel_setting, &self.kernels_known) {
            (KernelSetting::Force(kernel), _) => (KernelTable::all(kernel), Chosen::Forced),
            (KernelSetting::Auto, Some(known)) if known.covers(&products) => {
                (known.clone(), Chosen::Remembered)
            }
            (KernelSetting::Auto, _) => {
                self.measure_due = true;
                return vec![TrainEvent::MeasuringKernels {
                    budget_ms: BUDGET_MS,
                }
                .into()];
            }
        };
        use_kernels(table.clone());
        vec![TrainEvent::Kernels(KernelReport {
            table,
            chosen,
            timings: Vec::new(),
            spent_ms: 0.0,
            compile_ms: 0.0,
        })
        .into()]
    }

    /// A WebGPU trainer with `hidden` units and `settings` is about to start: have the matmul
    /// kernels it measures first or uses compiled, then those of a training step (one launched
    /// by a throwaway trainer on blank images), while the training images load. Nothing here
    /// waits for the GPU.
    pub(super) fn compile_ahead(&self, hidden: usize, settings: TrainSettings) {
        let products = training_products(settings.batch_size, hidden);
        compile(&compile_ahead(
            self.kernel_setting,
            self.kernels_known.as_ref(),
            &products,
        ));
        let blank = Digits::blank(settings.batch_size);
        let config = VaeConfig::new().with_hidden(hidden);
        if let Ok(mut throwaway) = Session::fresh(
            Device::WebGpu,
            config,
            Arc::new(blank),
            settings,
            self.clock,
        ) {
            throwaway.launch_step();
        }
        flush();
    }

    /// Time both kernels on the trainer's products and use the faster on each.
    pub(super) async fn measure_kernels(&mut self) -> Option<Outgoing> {
        self.measure_due = false;
        let products = self.gpu_products()?;
        let report = measure(products, self.clock).await;
        let known = self.kernels_known.take().unwrap_or_default();
        self.kernels_known = Some(known.merged(&report.table));
        use_kernels(report.table.clone());
        Some(TrainEvent::Kernels(report).into())
    }
}

#[cfg(feature = "gpu")]
fn use_kernels(table: KernelTable) {
    crate::vae::wgpu_matmul::use_kernels(table);
}

#[cfg(feature = "gpu")]
fn compile(pairs: &[(Product, Kernel)]) {
    crate::vae::wgpu_matmul::compile(pairs);
}

#[cfg(feature = "gpu")]
fn flush() {
    crate::vae::wgpu_matmul::flush();
}

/// Without `gpu` there are no WebGPU trainers, so there is nothing to choose for.
#[cfg(not(feature = "gpu"))]
fn use_kernels(_: KernelTable) {}

#[cfg(not(feature = "gpu"))]
fn compile(_: &[(Product, Kernel)]) {}

#[cfg(not(feature = "gpu"))]
fn flush() {}

/// Both kernels timed on `products`, and the choice. A measurement that fails (a lost device)
/// keeps ours, as before measuring, with no timings.
#[cfg(feature = "gpu")]
async fn measure(products: Vec<Product>, clock: Clock) -> KernelReport {
    let started = clock();
    let (table, timings, compile_ms) =
        match crate::vae::wgpu_matmul::measure(products, BUDGET_MS, clock).await {
            Ok(m) => (m.table(), m.timings, m.compile_ms),
            Err(_) => (KernelTable::default(), Vec::new(), 0.0),
        };
    KernelReport {
        table,
        chosen: Chosen::Measured,
        timings,
        spent_ms: (clock() - started) * 1000.0 - compile_ms,
        compile_ms,
    }
}

#[cfg(not(feature = "gpu"))]
async fn measure(_: Vec<Product>, _: Clock) -> KernelReport {
    KernelReport {
        table: KernelTable::default(),
        chosen: Chosen::Measured,
        timings: Vec::new(),
        spent_ms: 0.0,
        compile_ms: 0.0,
    }
}
