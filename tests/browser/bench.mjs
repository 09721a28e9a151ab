// Benchmark (not a test): measures the built site in headless Chromium and prints a table.
//   node tests/browser/bench.mjs [--short] [--out bench/browser.json]
// Time to first decoded image, slider-to-pixels latency idle and while training, training
// images/s on each backend, and the bytes a first visit downloads.
import { gzipSync } from 'node:zlib';
import { writeFile } from 'node:fs/promises';
import { serve, launch, setSlider } from './harness.mjs';

const short = process.argv.includes('--short');
const outIndex = process.argv.indexOf('--out');
const out = outIndex > 0 ? process.argv[outIndex + 1] : null;
const SAMPLES = short ? 5 : 40;
const TRAIN_WINDOWS = short ? 2 : 6;

// Records when the decoded canvas receives pixels (putImageData), in page time.
const probe = () => {
  window.__puts = [];
  const put = CanvasRenderingContext2D.prototype.putImageData;
  CanvasRenderingContext2D.prototype.putImageData = function (...args) {
    put.apply(this, args);
    if (this.canvas.dataset.testid === 'decoded') window.__puts.push(performance.now());
  };
};

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

async function sliderLatency(page, n) {
  const samples = [];
  for (let i = 0; i < n; i++) {
    const before = await page.evaluate(() => window.__puts.length);
    const t0 = await page.evaluate(() => performance.now());
    await setSlider(page, 'z1', ((i * 0.37) % 8) - 4 + 0.01);
    await page.waitForFunction((b) => window.__puts.length > b, before, { timeout: 30_000 });
    const t1 = await page.evaluate((b) => window.__puts[b], before);
    samples.push(t1 - t0);
    await page.waitForTimeout(20);
  }
  return { median: quantile(samples, 0.5), p95: quantile(samples, 0.95) };
}

async function measure(browser, url, backend) {
  const page = await browser.newPage();
  await page.addInitScript(probe);
  const bytes = { wasm: [0, 0], js: [0, 0], weights: [0, 0], data: [0, 0], other: [0, 0] };
  page.on('response', async (r) => {
    try {
      const body = await r.body();
      const u = new URL(r.url()).pathname;
      const kind = u.endsWith('.wasm') ? 'wasm' : u.endsWith('.js') ? 'js' : u.endsWith('.vaew') ? 'weights' : u.endsWith('.gz') ? 'data' : 'other';
      bytes[kind][0] += body.length;
      bytes[kind][1] += u.endsWith('.gz') ? body.length : gzipSync(body, { level: 9 }).length;
    } catch { /* redirects have no body */ }
  });
  await page.goto(url);
  await page.waitForFunction(() => window.__puts.length > 0, null, { timeout: 60_000 });
  const firstImageMs = await page.evaluate(() => window.__puts[0]);
  await page.waitForTimeout(300);
  const firstVisit = JSON.parse(JSON.stringify(bytes));
  const label = (await page.locator('[data-testid=backend]').textContent()).trim();
  const idle = await sliderLatency(page, SAMPLES);
  await page.locator('[data-testid=train]:not([disabled])').waitFor({ timeout: 60_000 });
  await page.click('[data-testid=train]');
  await page.waitForTimeout(short ? 1000 : 4000);
  const speeds = [];
  for (let w = 0; w < TRAIN_WINDOWS; w++) {
    const [s0, t0] = await page.evaluate(() => [Number(document.querySelector('[data-testid=metric-step]').textContent), performance.now()]);
    await page.waitForTimeout(short ? 1500 : 3000);
    const [s1, t1] = await page.evaluate(() => [Number(document.querySelector('[data-testid=metric-step]').textContent), performance.now()]);
    speeds.push(((s1 - s0) * 128) / ((t1 - t0) / 1000));
  }
  const training = await sliderLatency(page, SAMPLES);
  await page.click('[data-testid=train]');
  await page.close();
  return { backend, label, firstImageMs, idle, training, imagesPerSecond: quantile(speeds, 0.5), firstVisit, withTraining: bytes };
}

const server = await serve();
const results = [];
try {
  for (const [backend, webgpu] of [['cpu', false], ['webgpu', true]]) {
    const browser = await launch({ webgpu });
    try { results.push(await measure(browser, server.url, backend)); } finally { await browser.close(); }
  }
} finally {
  server.close();
}

const f = (x, d = 1) => (x === undefined ? '–' : x.toFixed(d));
console.log('| backend | first image ms | slider→pixels idle median / p95 ms | while training median / p95 ms | training images/s |');
console.log('| --- | --- | --- | --- | --- |');
for (const r of results) {
  console.log(`| ${r.label} | ${f(r.firstImageMs, 0)} | ${f(r.idle.median)} / ${f(r.idle.p95)} | ${f(r.training.median)} / ${f(r.training.p95)} | ${f(r.imagesPerSecond, 0)} |`);
}
const b = results[0].firstVisit;
console.log('\nfirst visit (until the first decoded image), bytes (raw / gzip):');
for (const k of Object.keys(b)) console.log(`  ${k}: ${b[k][0]} / ${b[k][1]}`);
if (out) await writeFile(out, JSON.stringify({ date: new Date().toISOString(), short, results }, null, 2));
