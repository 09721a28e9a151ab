// Every core on the CPU path: with `workers=2` the train worker shares each batch with a
// gradient worker; the page says 2 workers, and a fixed number of steps from fresh weights gives
// the test −ELBO of `workers=1` up to float rounding. Headless Chromium, release build.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { serve, launch, openPlayground, text } from './harness.mjs';

/** Steps taken one Step press at a time, so both runs stop at the same step. */
const STEPS = 12;

let server;
let browser;
before(async () => {
  server = await serve();
  browser = await launch();
});
after(async () => {
  await browser.close();
  server.close();
});

const idle = (page) => page.waitForFunction(() => document.querySelector('[data-testid=playground]').dataset.trainerBusy === 'false', null, { timeout: 120_000 });

/** Fresh weights (seed 0), STEPS steps, then the run's last test point: [step, −ELBO]. */
async function run(workers) {
  const { page, errors } = await openPlayground(browser, `${server.url}?workers=${workers}`);
  await page.locator('[data-testid=reset]:not([disabled])').waitFor({ timeout: 60_000 });
  await page.click('[data-testid=reset]');
  await page.waitForFunction(() => /Training on \d+ images/.test(document.querySelector('[data-testid=status]').textContent)
    && document.querySelector('[data-testid=metric-step]').textContent.trim() === '0', null, { timeout: 120_000 });
  for (let i = 1; i <= STEPS; i++) {
    await page.locator('[data-testid=step]:not([disabled])').waitFor({ timeout: 60_000 });
    await page.click('[data-testid=step]');
    await page.waitForFunction((i) => Number(document.querySelector('[data-testid=metric-step]').textContent) >= i, i, { timeout: 60_000 });
    await idle(page);
  }
  assert.equal(await text(page, 'metric-step'), String(STEPS));
  assert.equal(await text(page, 'metric-workers'), String(workers), 'the page says how many workers trained');
  const [file] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-runs]')]);
  const runs = JSON.parse(await readFile(await file.path(), 'utf8')).runs;
  const last = runs.at(-1).test_points.at(-1);
  assert.deepEqual(errors, []);
  await page.close();
  return [last.step, last.kl + last.recon];
}

test('workers=2 trains with two workers, to the test −ELBO of one worker up to float rounding', async (t) => {
  const [step1, one] = await run(1);
  const [step2, two] = await run(2);
  t.diagnostic(`test −ELBO after ${STEPS} steps: 1 worker ${one}, 2 workers ${two}`);
  assert.equal(step1, STEPS);
  assert.equal(step2, STEPS);
  // Rounding of the shares' sum moves the test −ELBO by about 1e-6 relative; a share weighed
  // wrongly, or a share left out, moves it by far more than 1e-4.
  assert.ok(Math.abs(one - two) <= 1e-4 * Math.abs(one), `test −ELBO: 1 worker ${one}, 2 workers ${two}`);
});

test('asking for more workers than the browser has cores trains on fewer, and says so', async () => {
  const cores = await (await browser.newPage()).evaluate(() => navigator.hardwareConcurrency);
  const asked = Math.min(cores + 1, 8);
  const { page, errors } = await openPlayground(browser, `${server.url}?workers=${asked}`);
  await page.locator('[data-testid=step]:not([disabled])').waitFor({ timeout: 60_000 });
  await page.click('[data-testid=step]');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=metric-step]').textContent) >= 1, null, { timeout: 120_000 });
  await idle(page);
  const running = Math.min(asked, cores);
  assert.equal(await text(page, 'metric-workers'), String(running));
  if (running < asked) assert.match(await text(page, 'notice'), new RegExp(`reports ${cores} cores`));
  assert.deepEqual(errors, []);
  await page.close();
});
