// The benchmark's WebGPU rows (not a test): the playground's training images/s with each matmul
// kernel (measured choice, ours, Burn's) and TF.js's WebGPU backend, in headless Chromium, and
// the kernel choice the page makes on the adapter with what its measurement timed.
//   node tests/browser/gpu-bench.mjs [--hardware] [--allow-software] [--choice-only] [--dist DIR] [--out FILE]
// --hardware: Chromium's flags for the machine's GPU (scripts/gpu-check.sh); without it,
// Chromium's own adapter (SwiftShader on a machine without a GPU). An adapter Chromium calls a
// fallback (software) one ends the run with exit status 3 unless --allow-software.
// --mbit N: the page's network (its workers' fetches included) limited to N Mbit/s with 20 ms
// latency, as a reader's connection rather than 127.0.0.1.
// Needs dist/ (trunk build --release), or the build in --dist DIR. The choice row also says how
// long the first training step took to show after the Train click, the measurement included.
import { writeFile } from 'node:fs/promises';
import { serveSiteAndPeer, launch, openPlayground, text } from './harness.mjs';

const flag = (name) => process.argv.includes(name);
const arg = (name) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const WINDOW_MS = Number(arg('--window-ms') ?? 5000);
const WINDOWS = Number(arg('--windows') ?? 3);
const log = (what) => console.error(`[gpu-bench ${new Date().toISOString().slice(11, 19)}] ${what}`);
// As bench.mjs: 10k images in batches of 128 is 79 steps an epoch.
const IMAGES_PER_STEP = 10000 / Math.ceil(10000 / 128);

const server = await serveSiteAndPeer(['webgpu'], arg('--dist'));
const browser = await launch({ webgpu: flag('--hardware') ? 'hardware' : true });
const out = { how: `node tests/browser/gpu-bench.mjs ${process.argv.slice(2).join(' ')}`.trim(), date: new Date().toISOString(), chromium: browser.version(), rows: [] };

/** The step read-out's next change: [step, page time]. */
async function nextStep(page) {
  const from = await text(page, 'metric-step');
  const h = await page.waitForFunction((s) => {
    const now = document.querySelector('[data-testid=metric-step]').textContent;
    return now !== s && [Number(now), performance.now()];
  }, from, { timeout: 300_000, polling: 5 });
  return h.jsonValue();
}

/** Open the page with `query`, train, and read the kernel line and images/s over windows. */
async function playground(query, measureSpeed) {
  const { page, errors } = await openPlayground(browser, `${server.url}${query}`);
  try {
    const backend = await text(page, 'backend');
    if (!/WebGPU/.test(backend)) throw new Error(`no WebGPU adapter in Chromium (backend: ${backend})`);
    if (/software/.test(backend) && !flag('--allow-software')) {
      console.error(`gpu-bench: Chromium's only WebGPU adapter is a software one (${backend}); --allow-software measures it anyway.`);
      process.exit(3);
    }
    await page.locator('[data-testid=train]:not([disabled])').waitFor({ timeout: 60_000 });
    if (arg('--mbit')) {
      const bytesPerSecond = (Number(arg('--mbit')) * 1e6) / 8;
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: bytesPerSecond, uploadThroughput: bytesPerSecond });
    }
    await page.evaluate(() => {
      window.benchStep = document.querySelector('[data-testid=metric-step]').textContent;
      document.querySelector('[data-testid=train]').addEventListener('click', () => { window.benchClicked = performance.now(); }, { once: true });
    });
    await page.click('[data-testid=train]');
    await page.waitForFunction(() => ['measured', 'remembered', 'forced'].includes(document.querySelector('[data-testid=kernel]')?.dataset.kernel), null, { timeout: 120_000 });
    const kernel = await text(page, 'kernel');
    const timings = JSON.parse(await page.locator('[data-testid=kernel]').getAttribute('data-timings') ?? '[]');
    // From the click until the step read-out first moves: images, adapter, compile, measurement.
    const firstStepMs = await (await page.waitForFunction(() => {
      const now = document.querySelector('[data-testid=metric-step]').textContent;
      return now !== window.benchStep && performance.now() - window.benchClicked;
    }, null, { timeout: 300_000, polling: 5 })).jsonValue();
    const row = { query, backend, kernel, timings, firstStepMs };
    if (measureSpeed) {
      const speeds = [];
      let [s0, t0] = await nextStep(page);
      for (let w = 0; w < WINDOWS; w++) {
        await page.waitForTimeout(WINDOW_MS);
        const [s1, t1] = await nextStep(page);
        speeds.push(((s1 - s0) * IMAGES_PER_STEP) / ((t1 - t0) / 1000));
        [s0, t0] = [s1, t1];
      }
      row.windows = speeds;
      row.imagesPerSecond = [...speeds].sort((a, b) => a - b)[Math.floor(speeds.length / 2)];
    }
    await page.click('[data-testid=train]');
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    return row;
  } finally {
    await page.close();
  }
}

try {
  // A fresh profile: the first visit measures.
  log('kernel choice');
  out.choice = await playground('', false);
  log(`${out.choice.kernel} First step ${Math.round(out.choice.firstStepMs)} ms after the click.`);
  if (!flag('--choice-only')) {
    for (const kernel of ['auto', 'ours', 'burn']) {
      log(`training, kernel=${kernel}`);
      out.rows.push(await playground(kernel === 'auto' ? '' : `?kernel=${kernel}`, true));
    }
    log('TF.js, WebGPU');
    const page = await browser.newPage();
    await page.goto(`${server.origin}/tfjs/`);
    await page.waitForFunction(() => window.tfjsBench !== undefined, null, { timeout: 60_000 });
    page.setDefaultTimeout(600_000);
    const info = await page.evaluate(() => window.tfjsBench.setup('webgpu'));
    const speed = await page.evaluate((o) => window.tfjsBench.speed(o), { warmupMs: 2000, windows: WINDOWS, windowMs: WINDOW_MS, chunk: 4 });
    out.tfjs = { info, ...speed };
  }
} finally {
  await browser.close();
  server.close();
}
const adapter = out.choice.backend.replace(/^WebGPU \((.*)\)$/, '$1');
console.log(`| Kernel chosen on ${adapter} | ${out.choice.kernel.replace(/^Matmul kernel: /, '')} |`);
for (const r of out.rows) console.log(`| Training, WebGPU (${adapter}), ${r.query || 'kernel=auto'} | ${r.imagesPerSecond.toFixed(0)} images/s |`);
if (out.tfjs) console.log(`| TF.js ${out.tfjs.info.version}, WebGPU | ${out.tfjs.imagesPerSecond.toFixed(0)} images/s |`);
if (arg('--out')) await writeFile(arg('--out'), `${JSON.stringify(out, null, 1)}\n`);
