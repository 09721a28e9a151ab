// Benchmark (not a test): CPU training speed of the built site in each engine, one after the
// other on the same machine, written as bench/engines.json and printed as a table.
//   node tests/browser/engines-bench.mjs [--out bench/engines.json] [--windows 5] [--window-ms 3000] [--dist DIR]
// Per engine: the page from the pretrained MNIST model on the CPU path (batch 128, the first
// 10k images), Train pressed, 4 s of warm-up, then windows timed from one step read-out change
// to another. Two rates: images/s over the wall clock (what a reader sees the step counter do),
// and the page's own read-out (images per second of the worker's time inside training steps,
// without messages, weight exports and the map's encodings), so the two tell compute from the rest.
import { writeFile } from 'node:fs/promises';
import { loadavg, cpus } from 'node:os';
import { serve } from './harness.mjs';
import { ENGINES, engineVersion, launchEngine } from './engines.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const out = arg('--out', null);
const WINDOWS = Number(arg('--windows', 5));
const WINDOW_MS = Number(arg('--window-ms', 3000));
const WARMUP_MS = 4000;
const IMAGES_PER_STEP = 10000 / Math.ceil(10000 / 128);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** The step read-out the moment it next changes, and when (ms, this process's clock). */
async function nextStep(tab) {
  const from = await tab.eval(() => document.querySelector('[data-testid=metric-step]').textContent);
  for (;;) {
    const now = await tab.eval(() => document.querySelector('[data-testid=metric-step]').textContent);
    if (now !== from) return [Number(now), Date.now()];
    await sleep(10);
  }
}

async function measure(engine) {
  const browser = await launchEngine(engine);
  try {
    const tab = await browser.open(server.url);
    await tab.waitFor(() => document.querySelector('[data-testid=decoded-panel]')?.dataset.preview === 'false', null, { what: 'the whole model' });
    await tab.eval(() => { const s = document.querySelector('[data-testid=backend-select]'); s.value = 'cpu'; s.dispatchEvent(new Event('change', { bubbles: true })); });
    await tab.waitFor(() => !document.querySelector('[data-testid=train]').disabled && /CPU/.test(document.querySelector('[data-testid=backend]').textContent), null, { what: 'Train on the CPU' });
    const info = await tab.eval(() => ({ userAgent: navigator.userAgent, cores: navigator.hardwareConcurrency }));
    await tab.click('[data-testid=train]');
    await sleep(WARMUP_MS);
    const wall = [];
    const readout = [];
    let [s0, t0] = await nextStep(tab);
    for (let w = 0; w < WINDOWS; w++) {
      await sleep(WINDOW_MS);
      const [s1, t1] = await nextStep(tab);
      wall.push(((s1 - s0) * IMAGES_PER_STEP) / ((t1 - t0) / 1000));
      readout.push(Number(await tab.eval(() => document.querySelector('[data-testid=metric-speed]').textContent)));
      [s0, t0] = [s1, t1];
    }
    await tab.click('[data-testid=train]');
    const errors = await tab.errors();
    await tab.close();
    return { engine, version: engineVersion(engine), ...info, wallImagesPerSecond: median(wall), readoutImagesPerSecond: median(readout), wall, readout, errors };
  } finally {
    await browser.close();
  }
}

const dist = arg('--dist', undefined);
const server = await serve(dist);
const result = { date: new Date().toISOString(), dist: dist ?? 'dist', machine: { cpu: cpus()[0]?.model, cores: cpus().length, loadStart: loadavg()[0] }, windows: WINDOWS, windowMs: WINDOW_MS, engines: [] };
try {
  for (const engine of ENGINES) {
    console.error(`[engines-bench] ${engine}`);
    result.engines.push(await measure(engine));
  }
} finally {
  server.close();
}
result.machine.loadEnd = loadavg()[0];
const chromium = result.engines.find((e) => e.engine === 'chromium');
console.log('| engine | images/s (wall clock) | images/s (page read-out: in steps) | vs Chromium |');
console.log('| --- | ---: | ---: | ---: |');
for (const e of result.engines) {
  const ratio = chromium ? (e.wallImagesPerSecond / chromium.wallImagesPerSecond).toFixed(2) : '–';
  console.log(`| ${e.version} | ${Math.round(e.wallImagesPerSecond)} | ${Math.round(e.readoutImagesPerSecond)} | ${ratio}x |`);
}
if (out) await writeFile(out, JSON.stringify(result, null, 2) + '\n');
