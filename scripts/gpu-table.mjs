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

/** What the measured choice timed, as one sentence. */
export function kernelSentence(result) {
  const auto = result.native.find((r) => r.device === 'gpu' && r.kernels.measured_ms != null);
  if (!auto) return 'The measured choice was not run.';
  const timed = auto.kernels.timings.map((t) => `${t.kernel === 'Ours' ? 'ours' : "Burn's"} ${n(t.ms_per_product, 3)} ms on ${t.m}×${t.k}×${t.n} (${t.reps} ${t.reps === 1 ? 'rep' : 'reps'})`);
  return `The measurement took ${n(auto.kernels.measured_ms, 0)} ms and chose ${auto.kernels.chosen}: ${timed.join(', ')}.`;
}
