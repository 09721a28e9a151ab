// out[m, n] = lhs[m, k] · rhs[k, n], all row-major and contiguous; m, k and n are multiples of 4.
//
// Each invocation computes a 4 × 4 block of `out` from vec4 loads, keeping its sums in
// registers: no workgroup memory and no barriers. On a software adapter (SwiftShader, where a
// barrier is a coroutine switch) this runs about ten times as fast as a shared-memory tiling.
// Consecutive invocations take consecutive row blocks, so they share the loads of `rhs`.

// Read-write although only read: the operands may be parts of one buffer (Burn's memory pool
// shares buffers), and a buffer bound both read-only and writable in one dispatch is invalid.
@group(0) @binding(0) var<storage, read_write> lhs: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> rhs: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> out: array<vec4<f32>>;

const M4: u32 = {{m4}}u;
const K4: u32 = {{k4}}u;
const N4: u32 = {{n4}}u;

@compute @workgroup_size({{workgroup}})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let row = (id.x % M4) * 4u;
    let col = id.x / M4;
    if (col >= N4) {
        return;
    }
    var acc0 = vec4<f32>();
    var acc1 = vec4<f32>();
    var acc2 = vec4<f32>();
    var acc3 = vec4<f32>();
    for (var k4 = 0u; k4 < K4; k4++) {
        let r = k4 * 4u * N4 + col;
        let b0 = rhs[r];
        let b1 = rhs[r + N4];
        let b2 = rhs[r + 2u * N4];
        let b3 = rhs[r + 3u * N4];
        let a0 = lhs[row * K4 + k4];
        let a1 = lhs[(row + 1u) * K4 + k4];
        let a2 = lhs[(row + 2u) * K4 + k4];
        let a3 = lhs[(row + 3u) * K4 + k4];
        acc0 += a0.x * b0 + a0.y * b1 + a0.z * b2 + a0.w * b3;
        acc1 += a1.x * b0 + a1.y * b1 + a1.z * b2 + a1.w * b3;
        acc2 += a2.x * b0 + a2.y * b1 + a2.z * b2 + a2.w * b3;
        acc3 += a3.x * b0 + a3.y * b1 + a3.z * b2 + a3.w * b3;
    }
    out[row * N4 + col] = acc0;
    out[(row + 1u) * N4 + col] = acc1;
    out[(row + 2u) * N4 + col] = acc2;
    out[(row + 3u) * N4 + col] = acc3;
}
