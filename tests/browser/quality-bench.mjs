// Time to quality (not a test): seconds of in-page training from fresh weights (seed 0, the
// first 10k training images, the page's defaults) until the test -ELBO on the first 500 test
// images is at most 170 and 160 nats, in headless Chromium on the CPU path, for the playground
// and for its TF.js peer (wasm), which walks the same batches with the same noise.
//   trunk build --release && node tests/browser/quality-bench.mjs --out bench/time-to-quality.json
// Ours: the page's stop rule (stop=elbo:N) pauses training when its test read-out reaches N; the
// time is the wall time from the Train click to that pause, so it includes the page's side
// work while training (weights, the map, the test read-out: at most 10 % of the worker's time)
// and runs past the target by up to one read-out period. TF.js: training time alone, with the
// test -ELBO checked every 20 steps (the checks not counted).
import { writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { serveSiteAndPeer, launch, openPlayground, text } from './harness.mjs';

const arg = (name) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const TARGETS = [170, 160];
const MAX_SECONDS = Number(arg('--max-seconds') ?? 900);
const log = (what) => console.error(`[quality ${new Date().toISOString().slice(11, 19)}] ${what}`);

const server = await serveSiteAndPeer(['wasm']);
const browser = await launch();
const out = {
  how: 'node tests/browser/quality-bench.mjs (headless Chromium, CPU path, release build; see the script for what each time includes)',
  date: new Date().toISOString(),
  machine: { cpu: cpus()[0]?.model, cores: availableParallelism(), loadStart: loadavg()[0], chromium: browser.version() },
  targets: TARGETS,
  playground: [],
  tfjs: null,
};

/** Ours: fresh weights (Reset, seed 0), then train until the stop rule at `target` pauses. */
async function playgroundUntil(target) {
  const { page, errors } = await openPlayground(browser, `${server.url}?stop=elbo:${target}`);
  try {
    await page.locator('[data-testid=reset]:not([disabled])').waitFor({ timeout: 60_000 });
    await page.click('[data-testid=reset]');
    await page.waitForFunction(() => /^Ready\. Training on 10000 images/.test(document.querySelector('[data-testid=status]').textContent), null, { timeout: 120_000 });
    await page.waitForFunction(() => document.querySelector('[data-testid=metric-step]').textContent === '0', null, { timeout: 60_000 });
    const t0 = await page.evaluate(() => performance.now());
    await page.click('[data-testid=train]');
    await page.waitForFunction(() => /Paused by the stop rule/.test(document.querySelector('[data-testid=status]').textContent), null, { timeout: MAX_SECONDS * 1000, polling: 50 });
    const t1 = await page.evaluate(() => performance.now());
    const status = await text(page, 'status');
    const steps = Number(status.match(/at step (\d+)/)[1]);
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    return { target, seconds: (t1 - t0) / 1000, steps, status };
  } finally {
    await page.close();
  }
}

try {
  for (const target of TARGETS) {
    log(`playground until ${target}`);
    out.playground.push(await playgroundUntil(target));
    log(JSON.stringify(out.playground.at(-1)));
  }
  log('TF.js (wasm)');
  const page = await browser.newPage();
  await page.goto(`${server.origin}/tfjs/`);
  await page.waitForFunction(() => window.tfjsBench !== undefined, null, { timeout: 60_000 });
  out.tfjs = { info: await page.evaluate(() => window.tfjsBench.setup('wasm')) };
  page.setDefaultTimeout(MAX_SECONDS * 1000 + 60_000);
  Object.assign(out.tfjs, await page.evaluate((o) => window.tfjsBench.timeToQuality(o), { targets: TARGETS, seed: 0, maxSeconds: MAX_SECONDS }));
  log(JSON.stringify(out.tfjs.reached));
} finally {
  out.machine.loadEnd = loadavg()[0];
  await browser.close();
  server.close();
}
for (const target of TARGETS) {
  const ours = out.playground.find((r) => r.target === target);
  const peer = out.tfjs?.reached.find((r) => r.target === target);
  console.log(`| Time to test −ELBO ≤ ${target} (seed 0, 10k) | ${ours.seconds.toFixed(0)} s (${ours.steps} steps) | ${peer ? `${peer.seconds.toFixed(0)} s (${peer.steps} steps)` : 'not reached'} |`);
}
const json = JSON.stringify(out, null, 1);
if (arg('--out')) await writeFile(arg('--out'), `${json}\n`);
else console.log(json);
