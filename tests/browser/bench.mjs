// Benchmark (not a test): the built site and its TensorFlow.js peer in headless Chromium, and
// optionally native training, printed as one markdown table and written as JSON.
//   node tests/browser/bench.mjs [--short] [--out FILE] [--vae target/release/vae] [--steps 300] [--samples 40]
//     [--dist DIR] [--only cpu] [--batch 128]
// --only cpu: the CPU path's rows alone (the page, then 1, 2, … workers; no TF.js, no WebGPU), to
// compare builds of one site quickly; --dist serves another build than dist/; --batch sets the
// batch of the CPU-workers rows (`batch=` in their link).
// scripts/bench.sh builds everything and runs this; scripts/test.sh runs it with --short.
//
// Playground (dist/, from trunk build --release): time to first decoded image, slider-to-pixels
// latency idle and while training, training images/s on each backend, first-visit bytes.
// TF.js (bench/tfjs/, served beside the site): the same VAE's training images/s on its wasm,
// WebGL and WebGPU backends. Quality: test -ELBO after the same number of steps from the same
// seed, for TF.js (wasm) and for our Rust training code (the `vae` CLI, which runs the page's
// src/train.rs natively); bench/tfjs/vae.js copies our RNG, so both runs see the same initial
// weights, batches and noise. Native: `vae train` pinned to one core.
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile, readFile, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveSiteAndPeer, launch } from './harness.mjs';
import { TABLE_HEADER, tableRows, n } from './bench-table.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const arg = (name, fallback = null) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const short = process.argv.includes('--short');
const out = arg('--out');
const vae = arg('--vae');
const only = arg('--only');
if (only !== null && only !== 'cpu') throw new Error(`--only ${only}: only --only cpu is known`);
const dist = resolve(arg('--dist', join(root, 'dist')));
const STEPS = Number(arg('--steps', short ? 10 : 300));
const SAMPLES = Number(arg('--samples', short ? 3 : 40));
const TRAIN_WINDOWS = short ? 1 : 5;
const WINDOW_MS = short ? 1000 : 3000;
const WARMUP_MS = short ? 500 : 4000;
// The page and the CLI train on the first 10k images, batch 128: 79 steps an epoch, the last
// one of 16 images, so a step averages 10000 / 79 images.
const STEPS_PER_EPOCH = Math.ceil(10000 / 128);
const IMAGES_PER_STEP = 10000 / STEPS_PER_EPOCH;
const WORKERS_BATCH = Number(arg('--batch', 128));
const WORKERS_IMAGES_PER_STEP = 10000 / Math.ceil(10000 / WORKERS_BATCH);

const started = Date.now();
const log = (what) => console.error(`[bench ${((Date.now() - started) / 1000).toFixed(0)} s] ${what}`);
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

// ---- native: the `vae` CLI on one core ----

async function native() {
  const pin = existsSync('/usr/bin/taskset') ? ['taskset', '-c', '0'] : [];
  const train = (steps, extra = []) => {
    const cmd = [...pin, vae, 'train', '--small', '--quiet', '--seed', '0', '--epochs', String(steps / STEPS_PER_EPOCH), ...extra];
    const env = { ...process.env, RAYON_NUM_THREADS: '1' };
    return JSON.parse(execFileSync(cmd[0], cmd.slice(1), { cwd: root, env, encoding: 'utf8' }));
  };
  const dir = await mkdtemp(join(tmpdir(), 'vae-bench-'));
  try {
    // Speed: 50-step history rows; the first interval is warm-up.
    const history = join(dir, 'history.json');
    const run = train(short ? 100 : 500, ['--history', history]);
    const rows = JSON.parse(await readFile(history, 'utf8'));
    const windows = rows.slice(1).map((r, i) => (r.images_seen - rows[i].images_seen) / (r.wall_seconds - rows[i].wall_seconds));
    const initial = train(0).test;
    const trained = train(STEPS);
    return {
      pinned: pin.length > 0,
      imagesPerSecond: quantile(windows.length ? windows : [run.images_per_second], 0.5),
      windows,
      quality: { steps: trained.steps, seed: 0, initial: negElbo(initial), test: negElbo(trained.test) },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
const negElbo = (t) => ({ negElbo: t.neg_elbo, kl: t.kl, recon: t.recon });

// ---- playground ----

// Records when the decoded canvas receives pixels (putImageData), in page time; key presses
// (timestamp, time handled); and when the latent map has drawn its 2,000 points (fillRect
// each), after which the page is idle.
const probe = () => {
  window.__puts = [];
  window.__keys = [];
  window.__mapRects = 0;
  addEventListener('keydown', (e) => window.__keys.push([e.timeStamp, performance.now()]), true);
  const proto = CanvasRenderingContext2D.prototype;
  const put = proto.putImageData;
  proto.putImageData = function (...args) {
    put.apply(this, args);
    if (this.canvas.dataset.testid === 'decoded') window.__puts.push(performance.now());
  };
  const fill = proto.fillRect;
  proto.fillRect = function (...args) {
    fill.apply(this, args);
    if (this.canvas.dataset.testid === 'latent-map' && ++window.__mapRects === 2000) {
      window.__mapAt = performance.now();
      proto.fillRect = fill; // done: the probe must not slow the page's later map redraws
    }
  };
};

// A key press on the focused z1 slider (a real input event, from the browser's side), timed
// from the keydown's own timestamp, taken when the browser received it, so time spent queued
// behind a training chunk counts, to the first time the decoded canvas receives pixels after
// the keydown was handled (which changes z). Keys alternate right/left, so z stays in range.
async function sliderLatency(page, n) {
  await page.focus('[data-testid=z1]');
  const samples = [];
  const queued = [];
  for (let i = 0; i < n; i++) {
    const k = await page.evaluate(() => window.__keys.length);
    await page.keyboard.press(i % 2 ? 'ArrowLeft' : 'ArrowRight');
    const key = await page.waitForFunction((k) => window.__keys[k], k, { timeout: 60_000, polling: 5 });
    const [pressed, handled] = await key.jsonValue();
    const put = await page.waitForFunction((t) => window.__puts.find((p) => p >= t), handled, { timeout: 60_000, polling: 5 });
    samples.push((await put.jsonValue()) - pressed);
    queued.push(handled - pressed);
    // Spread the presses over 20-69 ms so they do not lock to the training loop's phase.
    await page.waitForTimeout(20 + ((i * 37) % 50));
  }
  // queued: how much of it the key waited before the page handled it.
  return { median: quantile(samples, 0.5), p95: quantile(samples, 0.95), max: Math.max(...samples), samples, queued };
}

/** Bytes of every response, by kind: [raw, gzip -9] (the .gz data files count as they are). */
const offsite = [];
function countBytes(page) {
  page.on('request', (r) => {
    if (!/^(data|blob):/.test(r.url()) && new URL(r.url()).origin !== server.origin) offsite.push(r.url());
  });
  const bytes = { wasm: [0, 0], js: [0, 0], weights: [0, 0], data: [0, 0], other: [0, 0] };
  // Each response by URL as well, so the bytes before a moment can be summed afterwards.
  Object.defineProperty(bytes, 'byUrl', { value: new Map(), enumerable: false });
  page.on('response', async (r) => {
    try {
      const body = await r.body();
      const u = new URL(r.url()).pathname;
      const kind = u.endsWith('.wasm') ? 'wasm' : u.endsWith('.js') ? 'js' : u.endsWith('.vaew') ? 'weights' : u.endsWith('.gz') ? 'data' : 'other';
      const gz = u.endsWith('.gz') ? body.length : gzipSync(body, { level: 9 }).length;
      bytes[kind][0] += body.length;
      bytes[kind][1] += gz;
      bytes.byUrl.set(r.url(), { kind, raw: body.length, gz });
    } catch { /* redirects have no body */ }
  });
  return bytes;
}

/** The bytes, by kind, of the document and every resource the page asked for up to `ms`. */
async function bytesUntil(page, bytes, ms) {
  const urls = await page.evaluate((t) => [location.href, ...performance.getEntriesByType('resource')
    .filter((e) => e.startTime <= t).map((e) => e.name)], ms);
  // Bodies are counted as they arrive: wait for the last of them.
  for (let i = 0; i < 100 && urls.some((u) => !bytes.byUrl.has(u)); i++) await page.waitForTimeout(50);
  const sums = { wasm: [0, 0], js: [0, 0], weights: [0, 0], data: [0, 0], other: [0, 0] };
  for (const u of urls) {
    const b = bytes.byUrl.get(u);
    if (b) { sums[b.kind][0] += b.raw; sums[b.kind][1] += b.gz; }
  }
  return sums;
}

/** The step read-out at its next change from now, with the page time of that change. */
async function nextStep(page, since = null) {
  const read = () => document.querySelector('[data-testid=metric-step]').textContent;
  const from = since ?? await page.evaluate(read);
  const handle = await page.waitForFunction((s) => {
    const now = document.querySelector('[data-testid=metric-step]').textContent;
    return now !== s && [Number(now), performance.now()];
  }, from, { timeout: 120_000, polling: 5 });
  return handle.jsonValue();
}

async function playground(browser, url, backend, { train = true, windows = TRAIN_WINDOWS, trainingSamples = SAMPLES } = {}) {
  const page = await browser.newPage();
  await page.addInitScript(probe);
  const bytes = countBytes(page);
  await page.goto(url);
  await page.waitForFunction(() => window.__puts.length > 0, null, { timeout: 60_000 });
  const firstImageMs = await page.evaluate(() => window.__puts[0]);
  // What the first image needed: everything asked for before it was painted.
  const firstVisit = await bytesUntil(page, bytes, firstImageMs);
  const label = (await page.locator('[data-testid=backend]').textContent()).trim();
  // Idle means after the start-up work (encoding the latent map's points) is done. If the map
  // stops drawing its points as 3x3 fillRects this times out and is recorded as null.
  const mapDrawnMs = await page.waitForFunction(() => window.__mapAt, null, { timeout: short ? 15_000 : 60_000 })
    .then((h) => h.jsonValue()).catch(() => null);
  const idle = await sliderLatency(page, SAMPLES);
  const result = { backend, label, firstImageMs, mapDrawnMs, idle, firstVisit };
  if (train) {
    await page.locator('[data-testid=train]:not([disabled])').waitFor({ timeout: 60_000 });
    await page.click('[data-testid=train]');
    await page.waitForTimeout(WARMUP_MS);
    // Windows start and end when the step read-out changes (after a chunk), so a backend
    // whose chunk takes seconds is not rounded to zero steps.
    const speeds = [];
    let [s0, t0] = await nextStep(page);
    for (let w = 0; w < windows; w++) {
      await page.waitForTimeout(WINDOW_MS);
      const [s1, t1] = await nextStep(page);
      speeds.push(((s1 - s0) * IMAGES_PER_STEP) / ((t1 - t0) / 1000));
      [s0, t0] = [s1, t1];
    }
    result.training = await sliderLatency(page, trainingSamples);
    result.imagesPerSecond = quantile(speeds, 0.5);
    result.windows = speeds;
    await page.click('[data-testid=train]');
  }
  await page.close();
  return { ...result, withTraining: bytes };
}

// ---- CPU path with N workers ----

/** Training images/s on the CPU path with `workers` (the train worker and its gradient
 *  workers, `workers=` in the link), how many the page says ran, and the ms from the click on
 *  Train to the first step shown (starting the workers, fetching and compiling their module). */
async function cpuWorkers(browser, url, workers) {
  const page = await browser.newPage();
  await page.goto(`${url}?workers=${workers}&batch=${WORKERS_BATCH}`);
  await page.locator('[data-testid=train]:not([disabled])').waitFor({ timeout: 60_000 });
  const [step, clickedAt] = await page.evaluate(() => [document.querySelector('[data-testid=metric-step]').textContent, performance.now()]);
  await page.click('[data-testid=train]');
  const [, firstStepAt] = await nextStep(page, step);
  await page.waitForTimeout(WARMUP_MS);
  const speeds = [];
  let [s0, t0] = await nextStep(page);
  for (let w = 0; w < TRAIN_WINDOWS; w++) {
    await page.waitForTimeout(WINDOW_MS);
    const [s1, t1] = await nextStep(page);
    speeds.push(((s1 - s0) * WORKERS_IMAGES_PER_STEP) / ((t1 - t0) / 1000));
    [s0, t0] = [s1, t1];
  }
  const running = Number((await page.locator('[data-testid=metric-workers]').textContent()).trim());
  await page.click('[data-testid=train]');
  await page.close();
  return { workers, batch: WORKERS_BATCH, running, imagesPerSecond: quantile(speeds, 0.5), windows: speeds, firstStepMs: firstStepAt - clickedAt };
}

// ---- TF.js peer ----

async function tfjsPage(browser, url) {
  const page = await browser.newPage();
  const bytes = countBytes(page);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await page.waitForFunction(() => window.tfjsBench !== undefined, null, { timeout: 60_000 });
  if (errors.length) throw new Error(`TF.js page: ${errors.join('; ')}`);
  return { page, bytes };
}

/** Speed on one backend; a backend the browser lacks is reported, not fatal (wasm must work). */
async function tfjsSpeed(browser, url, backend, opts) {
  const { page, bytes } = await tfjsPage(browser, url);
  try {
    const info = await page.evaluate((b) => window.tfjsBench.setup(b), backend);
    const speed = await page.evaluate((o) => window.tfjsBench.speed(o), opts);
    let quality = null;
    if (backend === 'wasm') quality = await page.evaluate((steps) => window.tfjsBench.quality({ steps, seed: 0 }), STEPS);
    return { backend, info, ...speed, quality, bytes };
  } catch (e) {
    if (backend === 'wasm') throw e;
    return { backend, error: String(e.message ?? e).split('\n')[0] };
  } finally {
    await page.close();
  }
}

// ---- run ----

const server = await serveSiteAndPeer(['wasm', 'webgpu'], dist);
const tfjsUrl = `${server.origin}/tfjs/`;
const speedOpts = { warmupMs: WARMUP_MS, windows: TRAIN_WINDOWS, windowMs: WINDOW_MS };
// The machine may be shared: its 1-minute load at the start and end says whether it was busy.
const results = { date: new Date().toISOString(), short, qualitySteps: STEPS, machine: { loadStart: loadavg()[0] }, native: null, playground: [], cpuWorkers: [], tfjs: [] };
try {
  if (vae && !only) {
    log('native');
    results.native = await native();
  }
  // One browser without WebGPU (the CPU path a plain Chromium takes here), one with
  // --enable-unsafe-webgpu (a software SwiftShader adapter on this machine).
  for (const webgpu of only ? [false] : [false, true]) {
    const browser = await launch({ webgpu });
    try {
      results.machine.chromium = browser.version();
      // A training step on the software WebGPU adapter takes seconds, and so does a slider
      // sample waiting behind one: fewer of both there, and none in a short run.
      log(`playground, ${webgpu ? 'WebGPU' : 'CPU'}`);
      const gpuOpts = { train: !short, windows: 3, trainingSamples: 8 };
      results.playground.push(await playground(browser, server.url, webgpu ? 'webgpu' : 'cpu', webgpu ? gpuOpts : {}));
      // The CPU path with 1, 2, … workers, up to the cores (at most 8).
      for (let w = 1; !webgpu && w <= Math.min(availableParallelism(), 8); w++) {
        log(`playground, CPU, ${w} workers`);
        results.cpuWorkers.push(await cpuWorkers(browser, server.url, w));
      }
      const backends = only ? [] : webgpu ? ['webgpu'] : ['wasm', 'webgl'];
      for (const b of backends) {
        // A software WebGPU step takes seconds: one step a chunk, fewer windows.
        const opts = b === 'webgpu' ? { ...speedOpts, chunk: 1, warmupMs: 1, windows: short ? 1 : 3 } : speedOpts;
        log(`TF.js, ${b}`);
        results.tfjs.push(await tfjsSpeed(browser, tfjsUrl, b, opts));
      }
    } finally {
      await browser.close();
    }
  }
} finally {
  server.close();
}
// Everything must come from our own server on 127.0.0.1.
if (offsite.length) throw new Error(`requests off 127.0.0.1: ${offsite.join(' ')}`);

const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
Object.assign(results.machine, {
  cpu: (cpuinfo.match(/^model name\s*:\s*(.*)$/m) ?? [])[1] ?? 'unknown',
  cores: availableParallelism(),
  node: process.version,
  loadEnd: loadavg()[0],
});

// ---- table ----

if (only) {
  console.log(`\n${dist}: ${results.machine.cpu}, ${results.machine.cores} cores (load ${results.machine.loadStart.toFixed(1)} → ${results.machine.loadEnd.toFixed(1)}); Chromium ${results.machine.chromium}\n`);
  console.log('| CPU path | training images/s | first step after Train, ms |\n| --- | --- | --- |');
  console.log(`| the page's own row | ${n(results.playground[0].imagesPerSecond)} | |`);
  for (const r of results.cpuWorkers) console.log(`| ${r.workers} worker(s), ${r.running} ran | ${n(r.imagesPerSecond)} | ${n(r.firstStepMs)} |`);
  if (out) await writeFile(out, JSON.stringify(results, null, 2));
  process.exit(0);
}

const rows = tableRows(results);
const tf = Object.fromEntries(results.tfjs.map((r) => [r.backend, r]));
console.log(`\n${results.machine.cpu}, ${results.machine.cores} cores (load ${results.machine.loadStart.toFixed(1)} → ${results.machine.loadEnd.toFixed(1)}); Chromium ${results.machine.chromium}; TF.js ${tf.wasm.info.version}${short ? '; SHORT smoke run, numbers not meaningful' : ''}\n`);
console.log(TABLE_HEADER);
console.log('| --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
if (out) {
  await writeFile(out, JSON.stringify(results, null, 2));
  console.log(`\nwrote ${out}`);
}

// ---- like for like ----
// Our trainer and the TF.js peer start from the same weights and walk the same batches with the
// same noise, so their test -ELBOs after the same steps differ only by float rounding: 5e-5
// nats after 10 steps and 0.05 after 300 (bench/results.json), at most 1.6e-4 nats a step.
// Another seed alone moves it by 2.1 nats after 10 steps (0.2 a step). A bound of 1e-3 nats a
// step sits between the two: past it, the comparison is no longer like for like.
const ours = results.native?.quality;
const peer = tf.wasm?.quality;
if (ours && peer) {
  const gap = Math.abs(ours.test.negElbo - peer.test.negElbo);
  const bound = 1e-3 * ours.steps;
  console.log(`\nlike for like: test -ELBO after ${ours.steps} steps, ours ${n(ours.test.negElbo, 4)}, TF.js ${n(peer.test.negElbo, 4)}: |difference| ${gap.toExponential(2)} nats (bound ${bound})`);
  if (!(gap <= bound) || peer.steps !== ours.steps) {
    console.error('the TF.js peer no longer learns the same thing step for step: the comparison is not like for like');
    process.exit(1);
  }
}
