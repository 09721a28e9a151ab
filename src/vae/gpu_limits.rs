//! What training on WebGPU asks of an adapter, checked against the limits the adapter reports,
//! so that a browser whose adapter falls short trains on the CPU and says why, instead of
//! failing inside Burn's set-up. Burn itself asks for exactly the adapter's own limits.

use crate::data::PIXELS;
use crate::vae::kernel_choice::AdapterKey;

/// Invocations per workgroup of our matmul kernel (`wgpu_matmul.wgsl`), one workgroup row.
pub const MATMUL_WORKGROUP: u32 = 256;
/// Storage buffers our matmul kernel binds (lhs, rhs, out).
const MATMUL_BINDINGS: u32 = 3;

/// The limits of a WebGPU adapter that training depends on (`GPUAdapter.limits`; numbers as
/// JavaScript gives them).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdapterLimits {
    pub max_storage_buffer_binding_size: f64,
    pub max_buffer_size: f64,
    pub max_compute_invocations_per_workgroup: f64,
    pub max_compute_workgroup_size_x: f64,
    pub max_storage_buffers_per_shader_stage: f64,
    pub max_compute_workgroups_per_dimension: f64,
}

impl AdapterLimits {
    /// The WebGPU specification's defaults: what every conforming core adapter offers at least.
    pub const WEBGPU_DEFAULTS: Self = Self {
        max_storage_buffer_binding_size: 134_217_728.0,
        max_buffer_size: 268_435_456.0,
        max_compute_invocations_per_workgroup: 256.0,
        max_compute_workgroup_size_x: 256.0,
        max_storage_buffers_per_shader_stage: 8.0,
        max_compute_workgroups_per_dimension: 65_535.0,
    };

    /// What training a model of up to `hidden` units with batches of up to `batch` images needs
    /// and this adapter lacks, each as "limit: has (needs)". Empty when it is enough.
    pub fn shortfalls(&self, batch: usize, hidden: usize) -> Vec<String> {
        let largest = [batch * PIXELS, batch * hidden, PIXELS * hidden]
            .into_iter()
            .max()
            .unwrap_or(0);
        let bytes = (largest * std::mem::size_of::<f32>()) as f64;
        // One invocation per 4 x 4 block of the largest product, in one row of workgroups.
        let workgroups = (largest / 16).div_ceil(MATMUL_WORKGROUP as usize) as f64;
        let needs = [
            (
                "maxStorageBufferBindingSize",
                self.max_storage_buffer_binding_size,
                bytes,
            ),
            ("maxBufferSize", self.max_buffer_size, bytes),
            (
                "maxComputeInvocationsPerWorkgroup",
                self.max_compute_invocations_per_workgroup,
                f64::from(MATMUL_WORKGROUP),
            ),
            (
                "maxComputeWorkgroupSizeX",
                self.max_compute_workgroup_size_x,
                f64::from(MATMUL_WORKGROUP),
            ),
            (
                "maxStorageBuffersPerShaderStage",
                self.max_storage_buffers_per_shader_stage,
                f64::from(MATMUL_BINDINGS),
            ),
            (
                "maxComputeWorkgroupsPerDimension",
                self.max_compute_workgroups_per_dimension,
                workgroups,
            ),
        ];
        needs
            .into_iter()
            // A missing or non-numeric limit (NaN) is no limit we can rely on.
            .filter(|(_, has, need)| has.is_nan() || has < need)
            .map(|(name, has, need)| format!("{name}: {has} (needs {need})"))
            .collect()
    }
}

/// A WebGPU adapter as the page's probe found it.
#[derive(Debug, Clone, PartialEq)]
pub struct GpuAdapter {
    /// Vendor, architecture and description as far as the browser tells them.
    pub name: String,
    pub limits: AdapterLimits,
    /// What its remembered kernel choice is kept under.
    pub key: AdapterKey,
}
