// The README's GPU-check table from what scripts/gpu-check.sh writes (bench/gpu-check-*.json):
// used by gpu-check.sh to print it and by check-readme.mjs to check the README's copy.
import { n } from '../tests/browser/bench-table.mjs';

export const GPU_HEADER = '| native training, reference model (10k images, batch 128, seed 0) | images/s once warm | images/s, whole run | test −ELBO after |';

/** Images/s once warm: the median of the run's tenths after the first (its kernels compile and
 *  tune then), leaving out tenths no 50-step chunk started in. */
export function warm(run) {
  const later = run.images_per_second_by_tenth.slice(1).filter((x) => x > 0).sort((a, b) => a - b);
  return later[Math.floor(later.length / 2)];
}

function what(run) {
  const batch = run.batch_size === 128 ? '' : `, batch ${run.batch_size}`;
  if (run.device === 'cpu') {
    return `Burn's CPU backend, ${run.workers === 1 ? 'one thread' : `${run.workers} threads (\`--workers ${run.workers}\`)`}${batch}`;
  }
  const measured = run.kernels.measured_ms != null;
  return `wgpu, ${run.kernels.chosen} kernel${measured ? ' (measured choice)' : ''}${batch}`;
}

/** Every native row, and the `extra` rows where the file has them. */
export function gpuRows(result) {
  return [...result.native, ...(result.extra ?? [])].map((run) => [
    what(run),
    n(warm(run), 0),
    n(run.images_per_second, 0),
    `${n(run.test.neg_elbo, 2)} (${n(run.steps, 0)} steps)`,
  ]);
}

/** What the measured choice timed, as one sentence: per product, each kernel's cold run and
 *  its warm time per product at the largest count of products both ran warm. */
export function kernelSentence(result) {
  const auto = result.native.find((r) => r.device === 'gpu' && r.kernels.measured_ms != null);
  if (!auto) return 'The measured choice was not run.';
  const timings = auto.kernels.timings;
  const name = (k) => (k === 'Ours' ? 'ours' : "Burn's");
  const shapes = [...new Set(timings.map((t) => `${t.m}×${t.k}×${t.n}`))];
  const parts = shapes.map((shape) => {
    const on = timings.filter((t) => `${t.m}×${t.k}×${t.n}` === shape);
    const cold = on.filter((t) => t.cold).map((t) => `${name(t.kernel)} ${n(t.ms_per_product, 1)} ms`);
    const warmReps = on.filter((t) => !t.cold && t.kernel === 'Ours').map((t) => t.reps)
      .filter((r) => on.some((t) => !t.cold && t.kernel === 'Burn' && t.reps === r));
    const reps = Math.max(...warmReps);
    const warm = on.filter((t) => !t.cold && t.reps === reps)
      .map((t) => `${name(t.kernel)} ${n(t.ms_per_product * 1000, 1)} µs`);
    const warmText = warmReps.length ? `; warm, ${reps} ${reps === 1 ? "product" : "products"} a run: ${warm.join(', ')} per product` : '';
    // The first product's kernels are compiled before the measurement: it has no cold runs.
    const coldText = cold.length ? `cold ${cold.join(', ')}` : 'compiled first';
    return `${shape}: ${coldText}${warmText}`;
  });
  const compiled = auto.kernels.compile_ms != null ? ` after ${n(auto.kernels.compile_ms, 0)} ms compiling` : '';
  return `The measurement took ${n(auto.kernels.measured_ms, 0)} ms${compiled} and chose ${auto.kernels.chosen} (${parts.join('. ')}).`;
}
