//! The matmul kernels on WebGPU as the page sees them: the choice this browser remembers for
//! its adapter, what the train worker reported using, and whether it is measuring.

use crate::services::train_service::TrainCommand;
use crate::vae::kernel_choice::{
    AdapterKey, Chosen, KernelReport, KernelSetting, KernelTable, RememberedKernels,
};

#[derive(Debug, Clone, Default)]
pub struct Kernels {
    /// The WebGPU adapter training would use, if there is one.
    adapter: Option<AdapterKey>,
    /// The choice kept in this browser for that adapter.
    remembered: Option<KernelTable>,
    /// The train worker is timing the kernels.
    pub measuring: bool,
    /// What the train worker uses, and how it was chosen.
    pub report: Option<KernelReport>,
}

impl Kernels {
    /// The adapter the probe found: the storage key of its remembered choice, to read.
    pub fn probed(&mut self, adapter: Option<AdapterKey>) -> Option<String> {
        self.adapter = adapter;
        self.remembered = None;
        self.adapter.as_ref().map(AdapterKey::storage_key)
    }

    /// The remembered choice came back. One that cannot be used (unreadable, another adapter's,
    /// no storage) is simply measured again.
    pub fn recalled(&mut self, stored: Result<Option<Vec<u8>>, String>) {
        let (Some(adapter), Ok(Some(bytes))) = (&self.adapter, stored) else {
            return;
        };
        self.remembered = RememberedKernels::from_bytes(&bytes, adapter).ok();
    }

    /// What the train worker is told about kernels under `setting`.
    pub fn command(&self, setting: KernelSetting) -> TrainCommand {
        TrainCommand::Kernels {
            setting,
            remembered: self.remembered.clone(),
        }
    }

    /// The worker is measuring.
    pub fn measuring(&mut self) {
        self.measuring = true;
    }

    /// The worker's kernels. A fresh measurement is added to what is remembered: the storage
    /// key and bytes to keep are returned.
    pub fn reported(&mut self, report: KernelReport) -> Option<(String, Vec<u8>)> {
        self.measuring = false;
        let keep = match (report.chosen, &self.adapter) {
            (Chosen::Measured, Some(adapter)) if !report.timings.is_empty() => {
                let table = match &self.remembered {
                    Some(old) => old.merged(&report.table),
                    None => report.table.clone(),
                };
                self.remembered = Some(table.clone());
                let kept = RememberedKernels {
                    adapter: adapter.clone(),
                    table,
                };
                Some((adapter.storage_key(), kept.to_bytes()))
            }
            _ => None,
        };
        self.report = Some(report);
        keep
    }

    /// The worker is gone (a new one starts without a choice).
    pub fn lost(&mut self) {
        self.measuring = false;
        self.report = None;
    }

    /// For the page: what the kernels are, or that they are being measured.
    pub fn describe(&self) -> Option<String> {
        if self.measuring {
            return Some("Matmul kernel: measuring ours against Burn's on this adapter…".into());
        }
        self.report.as_ref().map(KernelReport::describe)
    }

    /// `measuring`, `measured`, `remembered`, `forced` or empty: what tests wait for.
    pub fn state_key(&self) -> &'static str {
        match (&self.report, self.measuring) {
            (_, true) => "measuring",
            (Some(r), false) => match r.chosen {
                Chosen::Measured => "measured",
                Chosen::Remembered => "remembered",
                Chosen::Forced => "forced",
            },
            (None, false) => "",
        }
    }
}
