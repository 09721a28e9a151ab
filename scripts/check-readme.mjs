// Recomputes the numbers in the README's tables from the committed JSON under bench/ and fails
// on a mismatch, so no table states a number no file records.
//   node scripts/check-readme.mjs           check (the test command runs this)
//   node scripts/check-readme.mjs --write   rewrite the computed tables' rows from the JSON
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TABLE_HEADER, tableRows, n } from '../tests/browser/bench-table.mjs';
import { GPU_HEADER, gpuRows, kernelSentence } from './gpu-table.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const json = (file) => JSON.parse(readFileSync(join(root, file), 'utf8'));
const write = process.argv.includes('--write');
let readme = readFileSync(join(root, 'README.md'), 'utf8');
const faults = [];

/** The rows of the table under `header`, recomputed: checked, or written with --write. */
function table(header, rows, source) {
  const lines = readme.split('\n');
  const at = lines.indexOf(header);
  if (at < 0) return faults.push(`README has no table headed ${header} (from ${source})`);
  let end = at + 2;
  while (end < lines.length && lines[end].startsWith('|')) end++;
  const want = rows.map((r) => `| ${r.join(' | ')} |`);
  const have = lines.slice(at + 2, end);
  if (write) {
    lines.splice(at + 2, end - at - 2, ...want);
    readme = lines.join('\n');
    return;
  }
  want.forEach((w, i) => { if (have[i] !== w) faults.push(`${source}:\n  README: ${have[i] ?? '(no row)'}\n  JSON:   ${w}`); });
  if (have.length > want.length) faults.push(`${source}: README has rows the JSON does not give:\n  ${have.slice(want.length).join('\n  ')}`);
}

/** Each of `numbers` must appear in the README line that starts with `start`. */
function mentions(start, numbers, source) {
  const line = readme.split('\n').find((l) => l.startsWith(start));
  if (!line) return faults.push(`README has no line starting ${start} (from ${source})`);
  for (const x of numbers) if (!line.includes(x)) faults.push(`${source}: "${start}…" should say ${x}`);
}

// The benchmark's table, as bench.mjs printed it from bench/results.json.
table(TABLE_HEADER, tableRows(json('bench/results.json')), 'bench/results.json');

// The GPU check on a real GPU, as scripts/gpu-check.sh prints it.
{
  const gpu = json('bench/gpu-check-h200.json');
  table(GPU_HEADER, gpuRows(gpu), 'bench/gpu-check-h200.json');
  const want = kernelSentence(gpu);
  const lines = readme.split('\n');
  const at = lines.findIndex((l) => l.startsWith('The measurement took ') || l === 'KERNEL_SENTENCE');
  if (write && at >= 0) {
    lines[at] = want;
    readme = lines.join('\n');
  } else if (lines[at] !== want) {
    faults.push(`bench/gpu-check-h200.json:\n  README: ${lines[at] ?? '(no line)'}\n  JSON:   ${want}`);
  }
}

// Threads sharing each batch, natively, at two batch sizes.
{
  const { runs } = json('bench/cpu-scaling-h200.json');
  const at = (batch, workers) => runs.find((r) => r.batch === batch && r.workers === workers).images_per_second;
  const cell = (batch, w) => `${n(at(batch, w), 0)}${w === 1 ? '' : ` (${(at(batch, w) / at(batch, 1)).toFixed(2)}×)`}`;
  table('| threads (`--workers N`), 16 cores | batch 128, images/s | batch 1024, images/s |',
    [1, 2, 4, 8].map((w) => [String(w), cell(128, w), cell(1024, w)]), 'bench/cpu-scaling-h200.json');
}

// The wasm modules.
const sizes = json('bench/wasm-sizes.json');
const kB = (b) => `${n(b / 1000, 1)} kB`;
table('| module | gzip | raw |', [
  ['the page (`playground-…_bg.wasm`): every visit', kB(sizes.page.gzip), kB(sizes.page.raw)],
  ['the train worker (`train_worker_bg.wasm`, with wgpu): the first Train, Step or Reset', kB(sizes.trainWorker.gzip), kB(sizes.trainWorker.raw)],
  ['the compute worker (`compute_worker_bg.wasm`): the first inspection', kB(sizes.computeWorker.gzip), kB(sizes.computeWorker.raw)],
], 'bench/wasm-sizes.json');

// Quality against the PyTorch reference runs.
const runs = ['bench/mnist-10epochs.json', 'bench/mnist-10epochs-seed1.json', 'bench/mnist-10epochs-seed2.json'].map(json);
const [seed0] = runs;
const one = json('bench/mnist-1epoch.json');
const torch = json('bench/pytorch-reference.json');
const rate = json('bench/native-rate-20k-steps.json');
const tenths = rate.images_per_second_by_tenth;
const t10 = torch.test_neg_elbo['10'];
const tps = torch.images_per_second_one_core;
const mean = runs.reduce((s, r) => s + r.test.neg_elbo, 0) / runs.length;
if (runs.some((r, i) => r.seed !== i || r.epochs !== 10) || one.epochs !== 1 || one.seed !== 0) faults.push('bench quality files: unexpected seed or epochs');
table('| what | vae-playground | peer |', [
  ['10-epoch test −ELBO, reference model (784-512-2, Adam 1e-3, batch 128, Bernoulli, 60k), seed 0', `**${n(seed0.test.neg_elbo, 2)}** (recon ${n(seed0.test.recon, 2)} + KL ${n(seed0.test.kl, 2)})`, `PyTorch ${n(t10.neg_elbo, 2)} (${n(t10.recon, 2)} + ${n(t10.kl, 2)})`],
  ['same, seeds 0–2', `${runs.map((r) => n(r.test.neg_elbo, 2)).join(', ')} (mean ${n(mean, 2)})`, `PyTorch ${torch.seeds_0_2_10_epochs.mean} ± ${torch.seeds_0_2_10_epochs.sd}`],
  ['1-epoch test −ELBO, seed 0', `${n(one.test.neg_elbo, 2)} (recon ${n(one.test.recon, 2)} + KL ${n(one.test.kl, 2)})`, `PyTorch ${n(torch.test_neg_elbo['1'].neg_elbo, 2)}`],
  [`native training, one core (${n(rate.steps)} steps, \`bench/native-rate-20k-steps.json\`)`, `${n(rate.images_per_second)} images/s (tenths of the run ${n(Math.min(...tenths))}–${n(Math.max(...tenths))})`, `PyTorch ${n(tps.min)}–${n(tps.max)} (${(rate.images_per_second / tps.max).toFixed(1)}–${(rate.images_per_second / tps.min).toFixed(1)}×)`],
], 'bench/mnist-*epoch*.json, bench/pytorch-reference.json, bench/native-rate-20k-steps.json');
const fashion = json('bench/fashion-10epochs.json');
mentions('Fashion-MNIST, same recipe, 10 epochs', [n(fashion.test.neg_elbo, 2), n(fashion.test.recon, 2), n(fashion.test.kl, 2)], 'bench/fashion-10epochs.json');

// Decoders and datasets: test −ELBO, and ln p(x) with the gap split on the first 1,000 test images.
const signed = (x, d) => n(x, d).replace(/^-/, '−');
const decoders = [
  ['MNIST, Bernoulli', 'mnist', 'bench/mnist-10epochs.json', 'a score'],
  ['Fashion-MNIST, Bernoulli', 'fashion', 'bench/fashion-10epochs.json', 'a score'],
  ['binarised MNIST, Bernoulli', 'mnist-bin', 'bench/mnist-bin-10epochs.json', 'a log-probability'],
  ['MNIST, continuous Bernoulli', 'mnist-continuous-bernoulli', 'bench/mnist-continuous-bernoulli-10epochs.json', 'a log-density on [0, 1]^784'],
  ['Fashion-MNIST, continuous Bernoulli', 'fashion-continuous-bernoulli', 'bench/fashion-continuous-bernoulli-10epochs.json', 'a log-density on [0, 1]^784'],
];
table('| model (784-512-2, 10 epochs, seed 0) | test −ELBO, 10,000 images | ln p(x) is | −ln p(x), first 1,000 | −ELBO(q_φ) → −ELBO(q*) → full covariance | approximation gap | amortisation gap | full-covariance approximation gap |',
  decoders.map(([name, key, train, reading]) => {
    const t = json(train);
    const g = json(`bench/gap-split-${key}.json`);
    if (g.images !== 1000 || g.from !== 0 || t.epochs !== 10 || t.seed !== 0) faults.push(`bench/gap-split-${key}.json or ${train}: not the first 1,000 images of a 10-epoch seed-0 run`);
    return [name, signed(t.test.neg_elbo, 2), reading, signed(-g.mean_log_px, 2),
      `${signed(-g.mean_elbo_encoder, 2)} → ${signed(-g.mean_elbo_diagonal_q_star, 2)} → ${signed(-g.mean_elbo_full_q_star, 2)}`,
      n(g.mean_approximation_gap, 3), n(g.mean_amortisation_gap, 3), n(g.mean_full_approximation_gap, 3)];
  }), 'bench/*-10epochs.json, bench/gap-split-*.json');
const splits = decoders.map(([, key]) => json(`bench/gap-split-${key}.json`));
const cbMnist = json('bench/gap-split-mnist-continuous-bernoulli.json');
const positive = splits.filter((g) => g.min_approximation_gap > 0).map((g) => g.min_approximation_gap);
mentions('The smallest approximation gap of the 1,000 images', [
  `positive for ${['no', 'one', 'two', 'three', 'four', 'five'][positive.length]} models (${n(Math.min(...positive), 4)} to ${n(Math.max(...positive), 4)}`,
], 'bench/gap-split-*.json');
mentions('nat). For image', [`${cbMnist.min_approximation_gap_index} of the continuous Bernoulli MNIST model it came out ${signed(cbMnist.min_approximation_gap, 3)} nat`], 'bench/gap-split-*.json');
mentions('Every optimisation converged', [`at most ${Math.max(...splits.map((g) => g.max_iterations))} Newton steps`], 'bench/gap-split-*.json');
const timing = json('bench/gap-split-timing.json').runs.mnist;
mentions('images) ln p(x) and the ELBO take', [`${n(timing['gap-check'].ms_per_image)} ms per image and ${n(timing['gap-split'].ms_per_image)} ms with the split`], 'bench/gap-split-timing.json');
if (splits.some((g) => g.not_converged !== 0)) faults.push('bench/gap-split-*.json: an optimisation did not converge, but the README says every one did');

// The soak row of the Reliability table.
const soak = json('bench/soak.json');
const first = soak.samples[0];
const last = soak.samples.at(-1);
const flushOnly = json('bench/soak-30min-moment-flush-only.json');
const retained = soak.samples.map((s) => s.retainedHeapMiB);
mentions('| 30 minutes of training |', [
  `${n(last.step)} steps in ${soak.minutes} minutes`,
  `${n(first.stepsPerSecond, 1)} steps/s in minute 1 and ${n(last.stepsPerSecond, 1)} in minute ${last.minute}`,
  `${n(soak.verdict.rateRatio, 2)}`,
  `${n(first.wasmMiB, 1)} → ${n(last.wasmMiB, 1)} MiB (+${n(soak.verdict.wasmGrowthMiB, 1)}`,
  `${n(retained[0], 1)} MiB in minute 1 and at most ${n(Math.max(...retained.slice(1)), 1)} MiB after it (+${n(soak.verdict.heapGrowthMiB, 1)})`,
  `between ${n(soak.verdict.heapSawtoothMiB[0], 1)} and ${n(soak.verdict.heapSawtoothMiB[1], 1)} MiB`,
  `${n(flushOnly.samples.at(-1).step)} steps, ${n(flushOnly.samples[0].stepsPerSecond, 1)} → ${n(flushOnly.samples.at(-1).stepsPerSecond, 1)}`,
], 'bench/soak.json, bench/soak-30min-moment-flush-only.json');

// Training speed per engine, with and without wasm SIMD.
const engines = json('bench/engines.json');
const noSimd = json('bench/engines-no-simd.json');
const chromium = (r) => r.engines.find((e) => e.engine === 'chromium').wallImagesPerSecond;
table('| engine | images/s (wall clock) | images/s (page read-out: in steps) | vs Chromium | without wasm SIMD |', engines.engines.map((e) => {
  const plain = noSimd.engines.find((x) => x.engine === e.engine);
  return [e.version, n(e.wallImagesPerSecond), n(e.readoutImagesPerSecond), `${(e.wallImagesPerSecond / chromium(engines)).toFixed(2)}x`, `${n(plain.wallImagesPerSecond)} (${(plain.wallImagesPerSecond / chromium(noSimd)).toFixed(2)}x)`];
}), 'bench/engines.json, bench/engines-no-simd.json');

// The WebGPU kernel choice on Chromium's adapter here, and time to quality (issue 21).
const choice = json('bench/kernel-choice.json').choice;
const timed = [];
for (const t of choice.timings) {
  const key = `${t.product.m}×${t.product.k}×${t.product.n}`;
  if (!timed.includes(key)) timed.push(key);
}
const on = (key, kernel, cold) => choice.timings.filter((t) => `${t.product.m}×${t.product.k}×${t.product.n}` === key && t.kernel === kernel && Boolean(t.cold) === cold);
const best = (key, kernel, cold) => {
  const ms = on(key, kernel, cold).map((t) => t.ms / t.reps);
  return ms.length ? `${n(Math.min(...ms), 1)} ms` : 'not timed';
};
const [, chosenKernel, measuredMs, compileMs] = choice.kernel.match(/^Matmul kernel: (.*) \(measured in (\d+) ms(?: after (\d+) ms compiling)?[;)]/);
table('| WebGPU adapter | kernel chosen | waited for the compile, then timed | first step after the Train click | what it timed (ms per product) |', [[
  choice.backend.replace(/^WebGPU \((.*)\)$/, '$1'),
  chosenKernel,
  `${n(Number(compileMs ?? 0))} ms, then ${n(Number(measuredMs))} ms`,
  `${n(choice.firstStepMs / 1000, 1)} s`,
  timed.map((k) => {
    const cold = on(k, 'Ours', true).length || on(k, 'Burn', true).length ? `cold ours ${best(k, 'Ours', true)}, Burn's ${best(k, 'Burn', true)}; ` : '';
    return `${k}: ${cold}warm ours ${best(k, 'Ours', false)}, Burn's ${best(k, 'Burn', false)}`;
  }).join('; '),
]], 'bench/kernel-choice.json');
// Compiling while the images load, against the builds before it, in one sitting.
{
  const ahead = json('bench/kernel-compile-ahead.json');
  const range = (rows) => {
    const xs = rows.map((r) => r.firstStepMs);
    return `${n(Math.min(...xs) / 1000, 1)}–${n(Math.max(...xs) / 1000, 1)} s`;
  };
  const measured = (rows) => {
    const xs = rows.map((r) => Number(r.kernel.match(/measured in (\d+) ms/)[1]));
    return `${n(Math.min(...xs))}–${n(Math.max(...xs))} ms`;
  };
  const line = (net) => ['before', 'matmulOnly', 'final'].map((v) => range(ahead[net][v]));
  mentions('Compiling while the images load', [
    measured(ahead.localhost.before),
    measured([...ahead.localhost.final, ...ahead.mbit20.final, ...ahead.mbit10.final]),
    ...line('localhost'), ...line('mbit20'), ...line('mbit10'),
  ], 'bench/kernel-compile-ahead.json');
}
const quality = json('bench/time-to-quality.json');
table('| time to test −ELBO ≤ target (seed 0, first 10k images, first 500 test images) | vae-playground (CPU path) | TF.js (wasm) |', quality.targets.map((target) => {
  const ours = quality.playground.find((r) => r.target === target);
  const peer = quality.tfjs.reached.find((r) => r.target === target);
  return [`≤ ${target} nats`, `${n(ours.seconds, 1)} s (${n(ours.steps)} steps)`, peer ? `${n(peer.seconds, 1)} s (${n(peer.steps)} steps)` : 'not reached'];
}), 'bench/time-to-quality.json');
const sooner = quality.targets.map((target) => (quality.tfjs.reached.find((r) => r.target === target)?.seconds / quality.playground.find((r) => r.target === target).seconds).toFixed(1));
mentions('steps of each other', [`${sooner[0]}× (170)`, `${sooner[1]}× (160)`], 'bench/time-to-quality.json');
// The CPU path with 1, 2, … workers, against TF.js wasm in the same run.
const workers = json('bench/results.json');
const tfWasm = workers.tfjs.find((t) => t.backend === 'wasm').imagesPerSecond;
const oneWorker = workers.cpuWorkers.find((w) => w.workers === 1).imagesPerSecond;
table('| CPU workers (ran) | training images/s | ÷ 1 worker | ÷ TF.js wasm (same run) |', workers.cpuWorkers.map((w) => [
  `${w.workers} (${w.running})`, n(w.imagesPerSecond), `${(w.imagesPerSecond / oneWorker).toFixed(2)}×`, `${(w.imagesPerSecond / tfWasm).toFixed(1)}×`,
]), 'bench/results.json');
// 1 and 2 workers by batch size, one build in one sitting.
const byBatch = json('bench/cpu-workers-batch.json').runs.map((r) => r.cpuWorkers).sort((a, b) => a[0].batch - b[0].batch);
table('| batch | 1 worker, images/s | 2 workers, images/s | 2 ÷ 1 |', byBatch.map(([one, two]) => [
  n(one.batch), n(one.imagesPerSecond), n(two.imagesPerSecond), `${(two.imagesPerSecond / one.imagesPerSecond).toFixed(2)}×`,
]), 'bench/cpu-workers-batch.json');

// The train worker's own build: each variant's size and CPU-path speed (issue 21).
const workerOpt = json('bench/worker-opt.json');
const spread = (s) => `${n(s.median)} (${n(s.min)}–${n(s.max)})`;
table('| train worker build | gzip | raw | training images/s, 1 worker | 2 workers | ms from Train to the first step, 1 worker |', workerOpt.variants.map((v) => [
  `${v.variant}${v.id === workerOpt.chosen ? ' (**kept**)' : ''}`, kB(v.trainWorker.gzip), kB(v.trainWorker.raw),
  spread(v.imagesPerSecond.workers1), spread(v.imagesPerSecond.workers2), spread(v.firstStepMs.workers1),
]), 'bench/worker-opt.json');
mentions('again. Cold, all three modules built in', [`${n(workerOpt.buildSeconds.coldAllBefore)} s`, `${n(workerOpt.buildSeconds.trainWorkerColdOpt2)} s`], 'bench/worker-opt.json');

if (write) {
  writeFileSync(join(root, 'README.md'), readme);
  console.log('README tables rewritten from bench/');
} else if (faults.length) {
  console.error(`README numbers that bench/ does not back (fix the README, or run with --write for computed tables):\n${faults.join('\n')}`);
  process.exit(1);
} else {
  console.log('README numbers match bench/');
}
