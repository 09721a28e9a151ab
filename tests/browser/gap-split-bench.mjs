// Benchmark (not a test): how long the page takes to inspect one test image, gap split
// included, in headless Chromium on the built site, written as bench/gap-split-page.json.
//   node tests/browser/gap-split-bench.mjs [--out bench/gap-split-page.json]
// Per model (MNIST with the Bernoulli and the continuous Bernoulli decoder): the page opened
// on the pretrained model, then each of the ten example thumbnails clicked in turn; the time
// runs from the click to the inspector's numbers on screen (ln p(x), the ELBOs of q_phi, q* and
// the full-covariance q*, both gaps), computed in the compute worker. The first click also
// starts that worker, so it is reported apart.
import { writeFile } from 'node:fs/promises';
import { loadavg, cpus } from 'node:os';
import { serve, launch, openPlayground } from './harness.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const out = arg('--out', null);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const server = await serve();
const browser = await launch();
const models = [];
try {
  for (const [name, query] of [['MNIST, Bernoulli', ''], ['MNIST, continuous Bernoulli', '?decoder=continuous-bernoulli']]) {
    const { page, errors } = await openPlayground(browser, server.url + query);
    await page.waitForSelector('[data-testid=example-9]', { timeout: 120_000 });
    const times = [];
    for (let digit = 0; digit < 10; digit++) {
      const start = Date.now();
      await page.click(`[data-testid=example-${digit}]`);
      await page.waitForFunction(() => document.querySelector('[data-testid=inspect-panel]')?.dataset.inspected === 'true'
        && document.querySelector('[data-testid=ev-gap-amort]'), null, { timeout: 120_000 });
      times.push(Date.now() - start);
    }
    const compute = await page.locator('[data-testid=inspect-panel]').getAttribute('data-compute');
    models.push({ model: name, compute, first_ms: times[0], median_ms_after_first: median(times.slice(1)), ms: times, errors });
    await page.close();
  }
} finally {
  await browser.close();
  server.close();
}
const result = {
  how: 'node tests/browser/gap-split-bench.mjs on a release build (trunk build --release), headless Chromium, CPU path; ms from clicking an example to the gap split on screen',
  when: new Date().toISOString(),
  machine: { cores: cpus().length, cpu: cpus()[0]?.model, load_average_1min: loadavg()[0] },
  models,
};
console.table(models.map(({ model, compute, first_ms, median_ms_after_first }) => ({ model, compute, first_ms, median_ms_after_first })));
if (out) await writeFile(out, JSON.stringify(result, null, 2) + '\n');
