// Long-use benchmark (not a test): train on the CPU backend in headless Chromium for N minutes,
// sampling JS heap (as found, and kept after a forced collection), wasm memory and the step rate
// every minute.
//   node tests/browser/soak.mjs [--minutes 30] [--out bench/soak.json] [--dist dist]
// Exits 1 if wasm memory or the JS heap kept after a collection grows by more than BOUND_MIB
// after the first minute, or the step rate of the last 5 minutes falls below 75% of minutes 2-6.
import { writeFile } from 'node:fs/promises';
import { serve, launch, trainUntil, trainWorkerMemory, retainedHeap } from './harness.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const minutes = Number(arg('--minutes', 30));
const out = arg('--out', null);
const dist = arg('--dist', undefined);
const BOUND_MIB = 32;

const server = await serve(dist);
const browser = await launch();
const samples = [];
try {
  const page = await browser.newPage();
  await page.addInitScript(() => addEventListener('TrunkApplicationStarted', (e) => { window.__wasm = e.detail.wasm; }));
  await page.goto(server.url);
  await page.waitForFunction(() => document.querySelector('[data-testid=decoded-panel]')?.dataset.shownVersion > 0, null, { timeout: 60_000 });
  // The first step means the train worker's module is up (its memory can be read).
  await trainUntil(page, 1, 120_000);
  // Training runs in the train worker: wasm memory is the page's plus the worker's.
  const sample = async () => {
    const s = await page.evaluate(() => ({
      t: performance.now() / 1000,
      step: Number(document.querySelector('[data-testid=metric-step]').textContent),
      pageWasmMiB: window.__wasm.memory.buffer.byteLength / 2 ** 20,
      heapMiB: performance.memory.usedJSHeapSize / 2 ** 20,
      elbo: Number(document.querySelector('[data-testid=metric-elbo]').textContent),
    }));
    s.workerWasmMiB = (await trainWorkerMemory(page)) / 2 ** 20;
    s.retainedHeapMiB = (await retainedHeap(page)) / 2 ** 20;
    s.wasmMiB = s.pageWasmMiB + s.workerWasmMiB;
    return s;
  };
  let prev = await sample();
  // The page's images/s read-out is the last chunk's own rate (time inside the training
  // steps). Against the step counter's rate it tells slower steps from more time between them.
  const chunkRate = () => page.evaluate(() => Number(document.querySelector('[data-testid=metric-speed]').textContent));
  console.log('| minute | step | steps/s | in-chunk images/s (median) | wasm MiB | JS heap MiB | JS heap after GC MiB | −ELBO (batch) |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (let m = 1; m <= minutes; m++) {
    const rates = [];
    for (let k = 0; k < 12; k++) {
      await page.waitForTimeout(5_000);
      rates.push(await chunkRate());
    }
    const s = await sample();
    s.minute = m;
    s.stepsPerSecond = (s.step - prev.step) / (s.t - prev.t);
    s.chunkImagesPerSecond = rates.sort((a, b) => a - b)[6];
    samples.push(s);
    console.log(`| ${m} | ${s.step} | ${s.stepsPerSecond.toFixed(1)} | ${s.chunkImagesPerSecond} | ${s.wasmMiB.toFixed(1)} | ${s.heapMiB.toFixed(1)} | ${s.retainedHeapMiB.toFixed(1)} | ${s.elbo.toFixed(1)} |`);
    prev = s;
  }
  await page.click('[data-testid=train]');
} finally {
  await browser.close();
  server.close();
}

const base = samples[0];
const last = samples.at(-1);
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const early = mean(samples.slice(1, 6).map((s) => s.stepsPerSecond));
const late = mean(samples.slice(-5).map((s) => s.stepsPerSecond));
const verdict = {
  wasmGrowthMiB: last.wasmMiB - base.wasmMiB,
  heapGrowthMiB: Math.max(...samples.map((s) => s.retainedHeapMiB)) - base.retainedHeapMiB,
  heapSawtoothMiB: [Math.min(...samples.map((s) => s.heapMiB)), Math.max(...samples.map((s) => s.heapMiB))],
  rateRatio: samples.length > 6 ? late / early : null,
  boundMiB: BOUND_MIB,
};
console.log(JSON.stringify(verdict));
if (out) await writeFile(out, JSON.stringify({ date: new Date().toISOString(), minutes, samples, verdict }, null, 2));
const ok = verdict.wasmGrowthMiB <= BOUND_MIB && verdict.heapGrowthMiB <= BOUND_MIB && (verdict.rateRatio === null || verdict.rateRatio >= 0.75);
process.exit(ok ? 0 : 1);
