// The benchmark's markdown table, from its JSON: bench.mjs prints it, and
// scripts/check-readme.mjs recomputes the README's copy from bench/results.json with it.

export const TABLE_HEADER = '| measure | vae-playground | TF.js | playground ÷ TF.js |';

export const n = (x, d = 0) => (x === undefined || x === null || Number.isNaN(x) ? '–' : x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));

/** The table's rows (cells without the pipes) for one run's results. */
export function tableRows(results) {
  const ratio = (a, b) => (a && b ? `${(a / b).toFixed(1)}×` : '');
  const pg = Object.fromEntries(results.playground.map((r) => [r.backend, r]));
  const tf = Object.fromEntries(results.tfjs.map((r) => [r.backend, r]));
  const tfSpeed = (b, d = 0) => (tf[b]?.error ? `unavailable (${tf[b].error})` : n(tf[b]?.imagesPerSecond, d));
  const wasmKind = tf.wasm?.info ? `${tf.wasm.info.simd ? 'SIMD' : 'no SIMD'}, ${tf.wasm.info.threads ? 'threads' : '1 thread'}` : '';
  const gpuName = (r) => {
    const a = r?.info?.adapter;
    const name = a?.renderer ?? [a?.vendor, a?.architecture].filter(Boolean).join(' ');
    return /swiftshader/i.test(name ?? '') ? 'SwiftShader, software' : name;
  };
  const kb = (b) => `${n(b[1] / 1000)} kB (raw ${n(b[0] / 1000)} kB)`;
  const rows = [
    ['training images/s, browser CPU: Burn ndarray (wasm) vs TF.js wasm', n(pg.cpu?.imagesPerSecond), `${tfSpeed('wasm')} (${wasmKind})`, ratio(pg.cpu?.imagesPerSecond, tf.wasm?.imagesPerSecond)],
    // Runs before the CPU path had workers have no such rows.
    ...(results.cpuWorkers ?? []).map((r) => [
      `training images/s, browser CPU, ${r.workers} worker${r.workers > 1 ? 's' : ''}${r.running !== r.workers ? ` (${r.running} ran)` : ''} vs TF.js wasm`,
      n(r.imagesPerSecond), tfSpeed('wasm'), ratio(r.imagesPerSecond, tf.wasm?.imagesPerSecond)]),
    [`training images/s, TF.js WebGL (${gpuName(tf.webgl) || 'no GPU'})`, '–', tfSpeed('webgl'), ''],
    [`training images/s, WebGPU (${gpuName(tf.webgpu) || pg.webgpu?.label || ''})`, n(pg.webgpu?.imagesPerSecond, 1), tfSpeed('webgpu', 1), ratio(pg.webgpu?.imagesPerSecond, tf.webgpu?.imagesPerSecond)],
    ['training images/s, native, one core', results.native ? n(results.native.imagesPerSecond) : 'not run (--vae)', '', ''],
    [`test −ELBO (10k test images) after ${results.qualitySteps} steps from seed 0, from → to`,
      results.native ? `${n(results.native.quality.initial.negElbo, 2)} → ${n(results.native.quality.test.negElbo, 2)} (our training code, native CLI)` : 'not run (--vae)',
      `${n(tf.wasm?.quality?.initial.negElbo, 2)} → ${n(tf.wasm?.quality?.test.negElbo, 2)} (wasm)`, ''],
    ['navigation → first decoded image, ms (CPU / WebGPU)', `${n(pg.cpu?.firstImageMs)} / ${n(pg.webgpu?.firstImageMs)}`, '', ''],
    ['slider → pixels idle, median / p95 ms (CPU / WebGPU)', `${n(pg.cpu?.idle.median, 1)} / ${n(pg.cpu?.idle.p95, 1)} · ${n(pg.webgpu?.idle.median, 1)} / ${n(pg.webgpu?.idle.p95, 1)}`, '', ''],
    ['slider → pixels while training, median / p95 ms (CPU / WebGPU)', `${n(pg.cpu?.training?.median, 1)} / ${n(pg.cpu?.training?.p95, 1)} · ${n(pg.webgpu?.training?.median, 1)} / ${n(pg.webgpu?.training?.p95, 1)}`, '', ''],
  ];
  const fv = pg.cpu.firstVisit;
  const tb = tf.wasm.bytes;
  const sum = (...bs) => bs.reduce(([r, g], b) => [r + b[0], g + b[1]], [0, 0]);
  rows.push(
    ['first visit, wasm + JS, gzip', kb(sum(fv.wasm, fv.js)), `${kb(sum(tb.wasm, tb.js))} (tf.min.js, wasm and WebGPU backends)`, ratio(sum(fv.wasm, fv.js)[1], sum(tb.wasm, tb.js)[1])],
    ['first visit, wasm / JS, gzip', `${kb(fv.wasm)} / ${kb(fv.js)}`, `${kb(tb.wasm)} / ${kb(tb.js)}`, ''],
    ['first visit, weights / data (already gzip)', `${kb(fv.weights)} / ${n(fv.data[1] / 1000)} kB`, '', ''],
    ['first decoded image needs, gzip in all (page, wasm, JS, weights, data)', kb(sum(fv.wasm, fv.js, fv.weights, fv.data, fv.other)), '', ''],
  );
  return rows;
}
