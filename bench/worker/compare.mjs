// Experiment (not a test): slider-to-pixels latency while training, the playground's chunked
// main-thread training against training in a Web Worker (bench/worker/index.html), in one
// headless Chromium, CPU backend (Burn ndarray), reference model 784-512-2, batch 128.
//   node bench/worker/compare.mjs [--samples 60] [--rounds 2] [--out bench/worker.json]
// Needs dist/ (trunk build --release) and bench/worker/dist/
// (trunk build --release --config bench/worker/Trunk.toml).
//
// Latency is measured as tests/browser/bench.mjs does: t0 = performance.now() in the page, then
// set z1 and fire `input`, then the time of the next putImageData on the decoded canvas
// ("bench" columns). Because a redraw after a training chunk (or after new weights from the
// worker) can land before the slider's own redraw, a stricter figure is also kept: the first
// putImageData at or after the input event was dispatched ("strict" columns).
import { writeFile, readFile, readdir } from 'node:fs/promises';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, launch } from '../../tests/browser/harness.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const SAMPLES = Number(arg('--samples', 60));
const ROUNDS = Number(arg('--rounds', 2));
const TRAIN_WINDOWS = 6;
const out = arg('--out', null);

// As bench.mjs: record when the decoded canvas receives pixels. Also record long tasks.
const probe = () => {
  window.__puts = [];
  window.__longTasks = [];
  const put = CanvasRenderingContext2D.prototype.putImageData;
  CanvasRenderingContext2D.prototype.putImageData = function (...args) {
    put.apply(this, args);
    if (this.canvas.dataset.testid === 'decoded') window.__puts.push(performance.now());
  };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longTasks.push([e.startTime, e.duration]);
  }).observe({ type: 'longtask', buffered: true });
};

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const stats = (xs) => ({ n: xs.length, median: quantile(xs, 0.5), p95: quantile(xs, 0.95), max: Math.max(...xs) });

// This machine may be shared: record how busy it was (all cores, all processes) and whether
// other Chromium browsers ran, per measured phase, so contended runs can be told apart.
async function cpuTicks() {
  const [, ...f] = (await readFile('/proc/stat', 'utf8')).split('\n')[0].trim().split(/\s+/);
  const n = f.map(Number);
  return { busy: n.reduce((a, b) => a + b, 0) - n[3] - n[4], total: n.reduce((a, b) => a + b, 0) };
}
async function browserProcesses() {
  let count = 0;
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
      if (args[0].endsWith('/chromium') && !args.some((a) => a.startsWith('--type='))) count++;
    } catch { /* gone */ }
  }
  return count;
}
async function phase(fn) {
  const [c0, browsers] = [await cpuTicks(), await browserProcesses()];
  const result = await fn();
  const c1 = await cpuTicks();
  const cores = (await readFile('/proc/cpuinfo', 'utf8')).match(/^processor/gm).length;
  return { ...result, machineBusyCores: (cores * (c1.busy - c0.busy)) / (c1.total - c0.total), chromiumBrowsers: browsers };
}

async function sliderLatency(page, n) {
  const bench = [];
  const strict = [];
  for (let i = 0; i < n; i++) {
    const before = await page.evaluate(() => window.__puts.length);
    const t0 = await page.evaluate(() => performance.now());
    // tests/browser/harness.mjs setSlider, plus the time the event is dispatched.
    const tInput = await page.evaluate(([id, v]) => {
      const el = document.querySelector(`[data-testid=${id}]`);
      el.value = String(v);
      const t = performance.now();
      el.dispatchEvent(new Event('input', { bubbles: true }));
      return t;
    }, ['z1', ((i * 0.37) % 8) - 4 + 0.01]);
    await page.waitForFunction((b) => window.__puts.length > b, before, { timeout: 30_000 });
    bench.push((await page.evaluate((b) => window.__puts[b], before)) - t0);
    await page.waitForFunction((t) => window.__puts.some((p) => p >= t), tInput, { timeout: 30_000 });
    strict.push((await page.evaluate((t) => window.__puts.find((p) => p >= t), tInput)) - t0);
    await page.waitForTimeout(20);
  }
  return { bench, strict };
}

const readStep = (page) => page.evaluate(() => [Number(document.querySelector('[data-testid=metric-step]').textContent), performance.now()]);

async function measure(browser, url, design) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('crash', () => errors.push('page crashed'));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${r.url()}`); });
  await page.addInitScript(probe);
  await page.goto(url);
  await page.waitForFunction(() => window.__puts.length > 0, null, { timeout: 60_000 });
  await page.waitForTimeout(300);
  const backend = design === 'chunked'
    ? (await page.locator('[data-testid=backend]').textContent()).trim()
    : 'CPU (Burn ndarray), in a Web Worker';
  const idle = await phase(() => sliderLatency(page, SAMPLES));
  await page.locator('[data-testid=train]:not([disabled])').waitFor({ timeout: 60_000 });
  await page.click('[data-testid=train]');
  await page.waitForTimeout(4000);
  const speed = await phase(async () => {
    const speeds = [];
    for (let w = 0; w < TRAIN_WINDOWS; w++) {
      const [s0, t0] = await readStep(page);
      await page.waitForTimeout(3000);
      const [s1, t1] = await readStep(page);
      speeds.push(((s1 - s0) * 128) / ((t1 - t0) / 1000));
    }
    return { speeds };
  });
  const { speeds } = speed;
  const tStart = await page.evaluate(() => performance.now());
  const training = await phase(() => sliderLatency(page, SAMPLES));
  const tEnd = await page.evaluate(() => performance.now());
  const longTasks = (await page.evaluate(() => window.__longTasks))
    .filter(([s]) => s >= tStart && s <= tEnd).map(([, d]) => d);
  const installMs = await page.evaluate(() => (window.__weightInstallMs ? Array.from(window.__weightInstallMs) : []));
  const encodeMs = await page.evaluate(() => (window.__weightEncodeMs ? Array.from(window.__weightEncodeMs) : []));
  const [step] = await readStep(page);
  await page.click('[data-testid=train]');
  await page.close();
  if (step === 0) errors.push('training never advanced');
  return {
    design, backend, idle, training, speeds, errors,
    contention: Object.fromEntries([['idle', idle], ['speed', speed], ['training', training]].map(([k, v]) => [k, { machineBusyCores: v.machineBusyCores, chromiumBrowsers: v.chromiumBrowsers }])),
    longTasksWhileTraining: { count: longTasks.length, totalMs: longTasks.reduce((a, b) => a + b, 0), max: longTasks.length ? Math.max(...longTasks) : 0, windowMs: tEnd - tStart },
    // The first install is the pretrained model at load; the rest come from the worker.
    weightInstallMs: installMs.length > 1 ? stats(installMs.slice(1)) : null,
    weightEncodeMs: encodeMs.length ? stats(encodeMs) : null,
    weightPosts: encodeMs.length,
  };
}

const sites = {
  chunked: await serve(join(root, 'dist')),
  worker: await serve(join(root, 'bench/worker/dist')),
};
const runs = [];
const browser = await launch();
try {
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate the order so drift (heat, background work) does not favour one design.
    const order = r % 2 === 0 ? ['chunked', 'worker'] : ['worker', 'chunked'];
    for (const design of order) {
      const run = await measure(browser, sites[design].url, design);
      const c = run.contention;
      console.error(`round ${r + 1} ${design}: training median ${quantile(run.training.strict, 0.5).toFixed(1)} ms, ${quantile(run.speeds, 0.5).toFixed(0)} images/s; busy cores idle/speed/training ${[c.idle, c.speed, c.training].map((x) => x.machineBusyCores.toFixed(2)).join('/')}, Chromium browsers running ${Math.max(c.idle.chromiumBrowsers, c.speed.chromiumBrowsers, c.training.chromiumBrowsers)}${run.errors.length ? `; errors: ${run.errors.join('; ')}` : ''}`);
      runs.push({ round: r + 1, ...run });
    }
  }
} finally {
  await browser.close();
  for (const s of Object.values(sites)) s.close();
}

const summary = {};
for (const design of ['chunked', 'worker']) {
  const rs = runs.filter((r) => r.design === design);
  const pool = (k, m) => rs.flatMap((r) => r[k][m]);
  summary[design] = {
    backend: rs[0].backend,
    idle: { bench: stats(pool('idle', 'bench')), strict: stats(pool('idle', 'strict')) },
    training: { bench: stats(pool('training', 'bench')), strict: stats(pool('training', 'strict')) },
    imagesPerSecond: { median: quantile(rs.flatMap((r) => r.speeds), 0.5), perRound: rs.map((r) => quantile(r.speeds, 0.5)) },
    longTasksWhileTraining: rs.map((r) => r.longTasksWhileTraining),
    weightInstallMs: rs.map((r) => r.weightInstallMs),
    weightEncodeMs: rs.map((r) => r.weightEncodeMs),
  };
}

const f = (x, d = 1) => (x === undefined || x === null ? '–' : x.toFixed(d));
const cell = (s) => `${f(s.median)} / ${f(s.p95)}`;
console.log(`${SAMPLES} samples × ${ROUNDS} rounds per cell; ms, median / p95. bench = bench.mjs method, strict = first paint after the input event.`);
console.log('| design | idle (bench) | idle (strict) | training (bench) | training (strict) | training images/s |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const [design, s] of Object.entries(summary)) {
  console.log(`| ${design === 'chunked' ? 'chunks on the main thread (playground)' : 'Web Worker'} | ${cell(s.idle.bench)} | ${cell(s.idle.strict)} | ${cell(s.training.bench)} | ${cell(s.training.strict)} | ${f(s.imagesPerSecond.median, 0)} (${s.imagesPerSecond.perRound.map((x) => f(x, 0)).join(', ')}) |`);
}
for (const [design, s] of Object.entries(summary)) {
  const lt = s.longTasksWhileTraining.map((l) => `${l.count} (max ${f(l.max, 0)} ms, ${f((100 * l.totalMs) / l.windowMs, 0)}% of ${f(l.windowMs / 1000, 0)} s)`).join(', ');
  console.log(`${design}: main-thread long tasks (>50 ms) during the training latency samples: ${lt}`);
}
const wi = summary.worker.weightInstallMs.filter(Boolean);
const mmm = (w) => `${f(w.median)} / ${f(w.p95)} / ${f(w.max)}`;
if (wi.length) console.log(`worker: main-thread time to copy in and rebuild the model from posted weights (each post), median / p95 / max ms: ${wi.map(mmm).join(', ')}`);
const we = summary.worker.weightEncodeMs.filter(Boolean);
if (we.length) console.log(`worker: worker time to encode the weights (each post, every >= 250 ms), median / p95 / max ms: ${we.map(mmm).join(', ')}`);
if (out) await writeFile(out, JSON.stringify({ date: new Date().toISOString(), samples: SAMPLES, rounds: ROUNDS, summary, runs }, null, 2));
