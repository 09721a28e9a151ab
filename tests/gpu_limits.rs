//! What training on WebGPU asks of an adapter: every conforming adapter's default limits are
//! enough for the largest settings; an adapter short of one is told apart, limit by limit.

use vae_playground::page::url_state::{BATCH_SIZE, HIDDEN};
use vae_playground::vae::gpu_limits::AdapterLimits;

#[test]
fn the_webgpu_defaults_are_enough_for_the_largest_model_and_batch() {
    assert_eq!(
        AdapterLimits::WEBGPU_DEFAULTS.shortfalls(BATCH_SIZE.1, HIDDEN.1),
        Vec::<String>::new()
    );
}

#[test]
fn each_limit_short_of_the_need_is_named() {
    let d = AdapterLimits::WEBGPU_DEFAULTS;
    let cases = [
        (
            AdapterLimits {
                max_storage_buffer_binding_size: 1e6,
                ..d
            },
            "maxStorageBufferBindingSize: 1000000 (needs 4194304)",
        ),
        (
            AdapterLimits {
                max_buffer_size: 1e6,
                ..d
            },
            "maxBufferSize: 1000000 (needs 4194304)",
        ),
        (
            AdapterLimits {
                max_compute_invocations_per_workgroup: 128.0,
                ..d
            },
            "maxComputeInvocationsPerWorkgroup: 128 (needs 256)",
        ),
        (
            AdapterLimits {
                max_compute_workgroup_size_x: 64.0,
                ..d
            },
            "maxComputeWorkgroupSizeX: 64 (needs 256)",
        ),
        (
            AdapterLimits {
                max_storage_buffers_per_shader_stage: 2.0,
                ..d
            },
            "maxStorageBuffersPerShaderStage: 2 (needs 3)",
        ),
        (
            AdapterLimits {
                max_compute_workgroups_per_dimension: 100.0,
                ..d
            },
            "maxComputeWorkgroupsPerDimension: 100 (needs 256)",
        ),
    ];
    for (limits, says) in cases {
        assert_eq!(
            limits.shortfalls(BATCH_SIZE.1, HIDDEN.1),
            vec![says.to_string()]
        );
    }
}

#[test]
fn a_limit_the_browser_does_not_report_is_not_relied_on() {
    let limits = AdapterLimits {
        max_buffer_size: f64::NAN,
        ..AdapterLimits::WEBGPU_DEFAULTS
    };
    assert_eq!(limits.shortfalls(128, 512).len(), 1);
}
