// Inside the bound, in headless Chromium: picking a test image shows the same ln p(x), IWAE,
// ELBO and gap as the native code for the same weights and image; drawing gives an input, an
// encoding and a posterior picture; the manifold and the interpolation draw.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, launch, openPlayground, text } from './harness.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// The native CLI that `cargo test` builds (scripts/test.sh sets VAE_BIN).
const vaeBin = process.env.VAE_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(root, 'target'), 'debug', 'vae');

let server;
let browser;
before(async () => { server = await serve(); browser = await launch(); });
after(async () => { await browser.close(); server.close(); });

const inspected = (page) => page.waitForFunction(() => document.querySelector('[data-testid=inspect-panel]')?.dataset.inspected === 'true', null, { timeout: 60_000 });
const number = async (page, id) => Number(await text(page, id));

/** Poll `check` (async, in Node) until it holds; fail after `timeout` ms. */
async function until(check, what, timeout = 30_000) {
  const end = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Pixels of the latent map that are the posterior heat map's magenta. */
const magenta = (page) => page.evaluate(() => {
  const d = document.querySelector('[data-testid=latent-map]').getContext('2d').getImageData(0, 0, 360, 360).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] > 150 && d[i + 1] < 110 && d[i + 2] > 110 && d[i] - d[i + 1] > 80) n++;
  return n;
});

/** Pixels of the latent map that are q(z|x)'s ellipses' teal (#0b7a75). */
const teal = (page) => page.evaluate(() => {
  const d = document.querySelector('[data-testid=latent-map]').getContext('2d').getImageData(0, 0, 360, 360).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - 11) + Math.abs(d[i + 1] - 122) + Math.abs(d[i + 2] - 117) < 60) n++;
  return n;
});

/** A 28×28 thumbnail's red channel. */
const thumb = (page, id) => page.evaluate((id) => Array.from(document.querySelector(`[data-testid=${id}]`).getContext('2d').getImageData(0, 0, 28, 28).data.filter((_, i) => i % 4 === 0)), id);

test('a test image: the shown numbers equal the native evaluation', async () => {
  const { page, errors } = await openPlayground(browser, server.url);
  const example = page.locator('[data-testid=example-2]');
  const index = Number((await example.locator('xpath=..').getAttribute('aria-label')).match(/#(\d+)/)[1]);
  await example.click();
  await inspected(page);
  const shown = {};
  for (const k of ['logpx', 'iwae', 'elbo', 'gap', 'recon', 'kl', 'elbo-star', 'elbo-full', 'gap-approx', 'gap-amort']) shown[k] = await number(page, `ev-${k}`);
  const native = JSON.parse(execFileSync(vaeBin, ['--data-dir', join(root, 'www/data'), 'evidence', '--weights', join(root, 'www/weights/mnist.vaew'), '--index', String(index), '--samples', '256', '--gap-split'], { encoding: 'utf8' }));
  const close = (a, b, what) => assert.ok(Math.abs(a - b) <= 1e-3 * Math.abs(b) + 1e-3, `${what}: page ${a}, native ${b}`);
  close(shown.logpx, native.log_px_quadrature, 'ln p(x)');
  close(shown.iwae, native.log_px_importance, 'IWAE');
  close(shown.elbo, native.elbo, 'ELBO');
  close(shown.recon, native.recon, 'recon');
  close(shown.kl, native.kl, 'KL');
  // The gap is a difference of two ~200-nat numbers: compare it at their precision.
  assert.ok(Math.abs(shown.gap - native.gap) <= 1e-3 * Math.abs(native.log_px_quadrature), `gap: page ${shown.gap}, native ${native.gap}`);
  assert.ok(shown.gap >= 0 && Math.abs(shown.logpx - (shown.elbo + shown.gap)) < 2e-3, 'ln p(x) = ELBO + gap');
  // The gap split, shown to 3 decimals (wasm's f32 sums may round differently in the last).
  const split = native.gap_split.split;
  const near = (a, b, what) => assert.ok(Math.abs(a - b) <= 1.5e-3, `${what}: page ${a}, native ${b}`);
  near(shown['elbo-star'], split.elbo_diagonal, 'ELBO(q*)');
  near(shown['elbo-full'], split.elbo_full, 'ELBO(full-covariance q*)');
  near(shown['gap-approx'], split.approximation_gap, 'approximation gap');
  near(shown['gap-amort'], split.amortisation_gap, 'amortisation gap');
  assert.ok(Math.abs(shown['gap-approx'] + shown['gap-amort'] - shown.gap) <= 2e-3, 'the two gaps add up to the gap');
  // The maths panel substitutes the same numbers, typeset as MathML.
  const maths = await page.evaluate(() => {
    const panel = document.querySelector('[data-testid=maths-panel]');
    const math = panel.querySelectorAll('math');
    const kls = [...panel.querySelectorAll('mn.v-kl')].map((n) => Number(n.textContent.replace('−', '-')));
    return {
      kl: Number(panel.dataset.kl), recon: Number(panel.dataset.recon), elbo: Number(panel.dataset.elbo),
      lines: math.length, mathml: [...math].every((m) => m.namespaceURI === 'http://www.w3.org/1998/Math/MathML' && m.getBoundingClientRect().height > 10),
      kls,
    };
  });
  close(maths.kl, native.kl, 'maths panel KL');
  close(maths.recon, native.recon, 'maths panel recon');
  close(maths.elbo, native.elbo, 'maths panel ELBO');
  assert.ok(maths.lines >= 5 && maths.mathml, `${maths.lines} MathML lines, all laid out`);
  // The closed form's two dimensions add up to the KL shown in it (2 decimals each).
  const [, total, d1, d2] = maths.kls;
  assert.ok(Math.abs(d1 + d2 - total) <= 0.011 && Math.abs(total - native.kl) <= 0.005, `KL ${d1} + ${d2} = ${total}`);
  // IWAE is a lower bound in expectation; one estimate may land a little above ln p(x).
  assert.ok(shown.iwae >= shown.elbo - 1e-3 && Math.abs(shown.iwae - shown.logpx) <= shown.gap + 0.5, 'IWAE between ELBO and ln p(x)');
  assert.equal(await page.locator('[data-testid=inspect-recon]').count(), 1);
  assert.equal(await page.locator('[data-testid^=inspect-sample-]').count(), 4);
  assert.equal(await page.locator('[data-testid=bound-bar]').count(), 1);
  // Computed off the input path, in the compute worker.
  assert.equal(await page.locator('[data-testid=inspect-panel]').getAttribute('data-compute'), 'worker');
  assert.deepEqual(errors, []);
  await page.close();
});

test('drawing a digit gives an input, an encoding and a posterior picture', async () => {
  const { page, errors } = await openPlayground(browser, server.url);
  await page.waitForFunction(() => document.querySelector('[data-testid=latent-map]') !== null);
  const before = await magenta(page);
  await page.locator('[data-testid=draw-pad]').scrollIntoViewIfNeeded();
  const pad = await page.locator('[data-testid=draw-pad]').boundingBox();
  const at = (fx, fy) => [pad.x + fx * pad.width, pad.y + fy * pad.height];
  // A "1": one stroke down the middle, then a small flag.
  await page.mouse.move(...at(0.5, 0.15));
  await page.mouse.down();
  for (let k = 1; k <= 12; k++) await page.mouse.move(...at(0.5, 0.15 + k * 0.06));
  await page.mouse.up();
  await inspected(page);
  assert.equal(await page.locator('[data-testid=inspect-input]').count(), 1);
  assert.match(await page.locator('[data-testid=inspect-input]').getAttribute('aria-label'), /your drawing/);
  for (const k of ['logpx', 'elbo', 'gap']) assert.ok(Number.isFinite(await number(page, `ev-${k}`)), k);
  await until(async () => (await magenta(page)) > before + 20, 'the posterior picture');
  // The heat-map layer can be turned off.
  const shown = await magenta(page);
  await page.click('[data-testid=toggle-heat]');
  await until(async () => (await magenta(page)) < shown / 2, 'the heat map to be hidden');
  // So can q(z|x)'s ellipses.
  const ellipses = await teal(page);
  assert.ok(ellipses > 20, `ellipse pixels ${ellipses}`);
  await page.click('[data-testid=toggle-ellipse]');
  await until(async () => (await teal(page)) < ellipses / 4, 'the ellipses to be hidden');
  // A second stroke changes the input; Undo takes it back, Clear empties the pad.
  const one = await thumb(page, 'inspect-input');
  await page.mouse.move(...at(0.3, 0.3));
  await page.mouse.down();
  for (let k = 1; k <= 6; k++) await page.mouse.move(...at(0.3 + k * 0.07, 0.3));
  await page.mouse.up();
  await page.waitForFunction((one) => {
    const d = document.querySelector('[data-testid=inspect-input]').getContext('2d').getImageData(0, 0, 28, 28).data;
    return d.some((v, i) => i % 4 === 0 && v !== one[i / 4]);
  }, one);
  await page.click('[data-testid=draw-undo]');
  await page.waitForFunction((one) => {
    const d = document.querySelector('[data-testid=inspect-input]').getContext('2d').getImageData(0, 0, 28, 28).data;
    return d.every((v, i) => i % 4 !== 0 || v === one[i / 4]);
  }, one);
  const padInk = () => page.evaluate(() => {
    const c = document.querySelector('[data-testid=draw-pad]');
    return c.getContext('2d').getImageData(0, 0, c.width, c.height).data.filter((v, i) => i % 4 === 3 && v > 0).length;
  });
  assert.ok((await padInk()) > 0);
  await page.click('[data-testid=draw-clear]');
  await page.waitForFunction(() => !document.querySelector('[data-testid=inspect-input]'));
  assert.equal(await padInk(), 0, 'the pad is empty');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the manifold draws under the map, and an interpolation walks z from A to B', async () => {
  const { page, errors } = await openPlayground(browser, server.url);
  await page.click('[data-testid=example-0]');
  await inspected(page);
  await page.click('[data-testid=interp-a]');
  await page.click('[data-testid=example-1]');
  await page.waitForFunction(() => /\(1\)/.test(document.querySelector('[data-testid=inspect-input]')?.getAttribute('aria-label')));
  await inspected(page);
  await page.click('[data-testid=interp-b]');
  await page.locator('[data-testid=interp-strip] canvas').first().waitFor();
  assert.equal(await page.locator('[data-testid=interp-strip] canvas').count(), 10);
  await page.click('[data-testid=interp-play]');
  const z1 = () => page.locator('[data-testid=z1]').inputValue().then(Number);
  const start = await z1();
  await page.waitForTimeout(600);
  const mid = await z1();
  assert.notEqual(mid, start, 'z moves along the line');

  const ink = () => page.evaluate(() => {
    const d = document.querySelector('[data-testid=latent-map]').getContext('2d').getImageData(0, 0, 360, 360).data;
    let dark = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 80 && d[i + 1] < 80 && d[i + 2] < 80 && d[i + 3] > 200) dark++;
    return dark;
  });
  const plain = await ink();
  await page.fill('[data-testid=manifold-n]', '20');
  await page.locator('[data-testid=manifold-n]').dispatchEvent('change');
  await page.click('[data-testid=toggle-manifold]');
  await until(async () => (await ink()) > plain + 2000, 'the manifold');
  assert.deepEqual(errors, []);
  await page.close();
});

test('zooming chooses the region the heat map and the manifold cover, and the link keeps it', async () => {
  const { page, errors } = await openPlayground(browser, server.url);
  await page.click('[data-testid=example-3]');
  await inspected(page);
  const view = () => page.locator('[data-testid=latent-map]').getAttribute('data-view');
  const box = (v) => { const [c1, c2, h] = v.split(',').map(Number); return [c1 - h, c1 + h, c2 - h, c2 + h].join(','); };
  const panel = (attr) => page.locator('[data-testid=inspect-panel]').getAttribute(attr);
  assert.equal(await view(), '0,0,4');
  const wholeHeat = await magenta(page);

  // Frame q(z|x): the posterior fills much more of the map, computed on the new region's grid.
  await page.click('[data-testid=zoom-fit]');
  const framed = await view();
  const half = Number(framed.split(',')[2]);
  assert.ok(half < 2, `framed half-width ${half}`);
  await page.waitForFunction((b) => document.querySelector('[data-testid=inspect-panel]').dataset.heatBox === b, box(framed));
  await until(async () => (await magenta(page)) > 4 * wholeHeat + 500, 'the framed posterior to fill the map');

  // The manifold is decoded over the region shown, and follows a further zoom.
  await page.click('[data-testid=toggle-manifold]');
  await page.waitForFunction((b) => document.querySelector('[data-testid=inspect-panel]').dataset.manifoldBox === b, box(framed));
  await page.click('[data-testid=zoom-in]');
  const zoomed = await view();
  assert.equal(Number(zoomed.split(',')[2]), half / 2);
  await page.waitForFunction((b) => document.querySelector('[data-testid=inspect-panel]').dataset.manifoldBox === b, box(zoomed));
  await page.waitForFunction((b) => document.querySelector('[data-testid=inspect-panel]').dataset.heatBox === b, box(zoomed));

  // The address bar carries the view; opening it shows the same region.
  await page.waitForFunction(() => location.search.includes('view='));
  const again = await browser.newPage();
  await again.goto(page.url());
  await again.waitForFunction((v) => document.querySelector('[data-testid=latent-map]')?.dataset.view === v, zoomed);
  await again.close();

  await page.click('[data-testid=zoom-whole]');
  assert.equal(await view(), '0,0,4');
  await page.waitForFunction(() => !location.search.includes('view='));
  assert.ok(await panel('data-heat-box'));
  assert.deepEqual(errors, []);
  await page.close();
});

test("the maths panel's batch line is the training metrics' numbers, after a few steps paused", async () => {
  const { page, errors } = await openPlayground(browser, server.url);
  await page.locator('[data-testid=step]:not([disabled])').waitFor({ timeout: 60_000 });
  for (let i = 1; i <= 3; i++) {
    await page.click('[data-testid=step]');
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid=metric-step]').textContent) === n, i, { timeout: 60_000 });
  }
  await page.waitForFunction(() => document.querySelector('[data-testid=playground]').dataset.trainerBusy === 'false', null, { timeout: 60_000 });
  const got = await page.evaluate(() => {
    const panel = document.querySelector('[data-testid=maths-panel]');
    const line = panel.querySelector('.maths-batch');
    const shown = (c) => line.querySelector(`mn.${c}`).textContent;
    const metric = (id) => document.querySelector(`[data-testid=${id}]`).textContent.trim();
    return {
      data: { kl: Number(panel.dataset.batchKl), recon: Number(panel.dataset.batchRecon), elbo: Number(panel.dataset.batchElbo) },
      shown: { kl: shown('v-kl'), recon: shown('v-recon'), negElbo: shown('v-elbo') },
      metrics: { kl: metric('metric-kl'), recon: metric('metric-recon'), negElbo: metric('metric-elbo') },
    };
  });
  // The line shows what the metrics show, digit for digit.
  assert.deepEqual(got.shown, got.metrics);
  // Its attributes hold the same numbers at full precision: they round to the metrics', and
  // −ELBO = recon + KL.
  assert.equal(got.data.kl.toFixed(2), got.metrics.kl);
  assert.equal(got.data.recon.toFixed(2), got.metrics.recon);
  assert.equal((-got.data.elbo).toFixed(2), got.metrics.negElbo);
  assert.ok(Math.abs(-got.data.elbo - (got.data.recon + got.data.kl)) < 2e-6, JSON.stringify(got.data));
  assert.ok(got.data.kl > 0 && got.data.recon > 50, JSON.stringify(got.data));
  assert.deepEqual(errors, []);
  await page.close();
});
