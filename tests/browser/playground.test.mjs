// The playground page in a real headless Chromium, against the release build in dist/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPlayground, decodedPixels, settledPixels, setSlider, text, pause, trainUntil, waitForStep } from './harness.mjs';

let server;
before(async () => { server = await serve(); });

/** How the z read-outs show a value. */
const signed = (v) => `${v < 0 ? '-' : '+'}${Math.abs(v).toFixed(2)}`;

/** Wait until the z marker's layer is painted around `z` (the whole map: ±4 over 360 px). */
function markerAt(page, z) {
  return page.waitForFunction(([z1, z2]) => {
    const d = document.querySelector('[data-testid=latent-marker]').getContext('2d').getImageData(0, 0, 360, 360).data;
    let [n, x, y] = [0, 0, 0];
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) { n++; x += ((i - 3) / 4) % 360; y += Math.floor((i - 3) / 4 / 360); }
    return n > 50 && Math.hypot(x / n - (z1 + 4) * 45, y / n - (4 - z2) * 45) < 2;
  }, z, { timeout: 10_000 });
}
after(() => server.close());

test('CPU path: loads cleanly, decodes, follows sliders and map, trains', async () => {
  const browser = await launch();
  try {
    const { page, errors } = await openPlayground(browser, server.url);
    assert.match(await text(page, 'backend'), /CPU/, 'no WebGPU adapter without flags: CPU fallback');

    // Moving z1 and z2 changes the decoded pixels, the read-outs and the z marker.
    const before = await decodedPixels(page);
    assert.equal(await text(page, 'z1-value'), '+0.00');
    await markerAt(page, [0, 0]);
    await setSlider(page, 'z1', 2.5);
    await page.waitForFunction((b) => {
      const c = document.querySelector('[data-testid=decoded]');
      const d = c.getContext('2d').getImageData(0, 0, 28, 28).data;
      return d.some((v, i) => i % 4 === 0 && v !== b[i / 4]);
    }, before);
    const afterZ1 = await decodedPixels(page);
    assert.notDeepEqual(afterZ1, before);
    assert.equal(await text(page, 'z1-value'), '+2.50');
    await markerAt(page, [2.5, 0]);
    await setSlider(page, 'z2', -2.5);
    await page.waitForFunction((b) => {
      const d = document.querySelector('[data-testid=decoded]').getContext('2d').getImageData(0, 0, 28, 28).data;
      return d.some((v, i) => i % 4 === 0 && v !== b[i / 4]);
    }, afterZ1);
    assert.equal(await text(page, 'z2-value'), '-2.50');
    await markerAt(page, [2.5, -2.5]);

    // Clicking the map moves the sliders there: top-left quadrant means z1 < 0, z2 > 0.
    const map = page.locator('[data-testid=latent-map]');
    const box = await map.boundingBox();
    await map.click({ position: { x: box.width * 0.25, y: box.height * 0.25 } });
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=z1]').value) < -1.5);
    const z1 = Number(await page.locator('[data-testid=z1]').inputValue());
    const z2 = Number(await page.locator('[data-testid=z2]').inputValue());
    assert.ok(Math.abs(z1 + 2) < 0.2 && Math.abs(z2 - 2) < 0.2, `z = (${z1}, ${z2})`);
    assert.equal(await text(page, 'z1-value'), signed(z1));
    assert.equal(await text(page, 'z2-value'), signed(z2));
    await markerAt(page, [z1, z2]);

    // Training for a few seconds: steps rise, the chart gains points, KL and recon stay finite.
    await trainUntil(page, 70, 120_000);
    // The images/s read-out agrees with the step count's pace: it is one chunk's rate (noisy
    // under load), so only within a factor of 8, which still catches a wrong unit (per ms, steps).
    const [s0, t0] = [Number(await text(page, 'metric-step')), Date.now()];
    await waitForStep(page, 100, 120_000);
    const [s1, t1] = [Number(await text(page, 'metric-step')), Date.now()];
    const speed = Number(await text(page, 'metric-speed'));
    const seen = ((s1 - s0) * 128) / ((t1 - t0) / 1000);
    assert.ok(speed > seen / 8 && speed < seen * 8, `images/s read-out ${speed}, seen ${seen.toFixed(0)}`);
    await pause(page);
    const step = Number(await text(page, 'metric-step'));
    // Epochs of the first 10,000 images in batches of 128 (an epoch's last batch is short).
    let [epochs, position] = [0, 0];
    for (let i = 0; i < step; i++) {
      if (position === 10_000) [epochs, position] = [epochs + 1, 0];
      position = Math.min(position + 128, 10_000);
    }
    const epoch = Number(await text(page, 'metric-epoch'));
    assert.ok(Math.abs(epoch - (epochs + position / 10_000)) <= 0.005 + 1e-9, `epoch ${epoch} at step ${step}`);
    const kl = Number(await text(page, 'metric-kl'));
    const recon = Number(await text(page, 'metric-recon'));
    const points = Number(await page.locator('[data-testid=loss-chart]').getAttribute('data-points'));
    assert.ok(step >= 100, `step ${step}`);
    assert.ok(points >= 2, `chart points ${points}`);
    assert.ok(Number.isFinite(kl) && kl > 0, `KL ${kl}`);
    assert.ok(Number.isFinite(recon) && recon > 0, `recon ${recon}`);

    // All 60k training images on request, keeping the model and the step count.
    await page.selectOption('[data-testid=training-set]', 'train');
    await page.waitForFunction(() => /60000 images/.test(document.querySelector('[data-testid=status]').textContent), null, { timeout: 60_000 });
    assert.equal(Number(await text(page, 'metric-step')), step);

    // A dataset switch loads the matching weights and data.
    const digits = await decodedPixels(page);
    await page.selectOption('[data-testid=dataset]', 'fashion');
    await page.waitForFunction(() => /Trouser/.test(document.querySelector('.legend').textContent), null, { timeout: 60_000 });
    await page.waitForFunction((b) => {
      const d = document.querySelector('[data-testid=decoded]').getContext('2d').getImageData(0, 0, 28, 28).data;
      return d.some((v, i) => i % 4 === 0 && v !== b[i / 4]);
    }, digits);
    assert.equal(await text(page, 'metric-step'), '0');
    assert.deepEqual(errors, [], 'no console errors');
  } finally {
    await browser.close();
  }
});

/** Click Step `n` times from a fresh page and read the −ELBO, KL and reconstruction after each. */
async function stepAndRead(page, n) {
  await page.locator('[data-testid=train]:not([disabled])').waitFor({ timeout: 60_000 });
  const rows = [];
  for (let k = 1; k <= n; k++) {
    await page.click('[data-testid=step]');
    await waitForStep(page, k, 120_000);
    rows.push(await Promise.all(['metric-elbo', 'metric-kl', 'metric-recon'].map(async (id) => Number(await text(page, id)))));
  }
  return rows;
}

test('WebGPU path: chosen when Chromium offers an adapter, trains as the CPU does step for step, and hands over to the CPU', async (t) => {
  const STEPS = 4;
  const cpuBrowser = await launch();
  let onCpuPath;
  try {
    const { page } = await openPlayground(cpuBrowser, server.url);
    assert.match(await text(page, 'backend'), /CPU/);
    onCpuPath = await stepAndRead(page, STEPS);
  } finally {
    await cpuBrowser.close();
  }
  const browser = await launch({ webgpu: true });
  try {
    const { page, errors } = await openPlayground(browser, server.url);
    assert.match(await text(page, 'backend'), /WebGPU/);
    // The same pretrained weights, seed, batches and noise on SwiftShader's WebGPU (our WGSL
    // kernel) and on the CPU: the losses agree to float rounding, as natively on lavapipe
    // (tests/wgpu_matmul.rs, within 1e-3 relative); the read-outs have two decimals.
    const onGpu = await stepAndRead(page, STEPS);
    t.diagnostic(`-ELBO, KL, recon per step: WebGPU ${JSON.stringify(onGpu)}, CPU ${JSON.stringify(onCpuPath)}`);
    for (let k = 0; k < STEPS; k++) {
      for (let j = 0; j < 3; j++) {
        const [g, c] = [onGpu[k][j], onCpuPath[k][j]];
        assert.ok(Number.isFinite(g) && Math.abs(g - c) <= 1e-3 * Math.abs(c) + 0.01, `step ${k + 1}: WebGPU ${onGpu[k]} against CPU ${onCpuPath[k]}`);
      }
    }

    // Switching to the CPU carries the trained weights over: the same z decodes to the same image.
    const onGpuWeights = await settledPixels(page);
    await page.selectOption('[data-testid=backend-select]', 'cpu');
    await page.waitForFunction(() => /CPU/.test(document.querySelector('[data-testid=backend]').textContent), null, { timeout: 60_000 });
    const afterSwitch = await settledPixels(page);
    const maxDiff = Math.max(...onGpuWeights.map((v, i) => Math.abs(v - afterSwitch[i])));
    assert.ok(maxDiff <= 3, `the image after the switch is of the same weights (max diff ${maxDiff})`);
    // Training goes on from where it was: the step count continues.
    const stepsBefore = Number(await text(page, 'metric-step'));
    await page.click('[data-testid=step]');
    await page.waitForFunction((s) => Number(document.querySelector('[data-testid=metric-step]').textContent) === s + 1, stepsBefore, { timeout: 60_000 });
    assert.deepEqual(errors, [], 'no console errors');
  } finally {
    await browser.close();
  }
});

test('first visit: the image is painted from the small decoder preview while the whole model is on its way', async () => {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const requested = [];
    page.on('request', (r) => requested.push(new URL(r.url()).pathname));
    let release;
    const held = new Promise((resolve) => { release = resolve; });
    await page.route('**/weights/mnist.vaew', async (route) => { await held; await route.continue(); });
    await page.goto(server.url);
    await page.waitForFunction(() => {
      const d = document.querySelector('[data-testid=decoded]')?.getContext('2d').getImageData(0, 0, 28, 28).data;
      return d && d.some((v, i) => i % 4 === 3 && v === 255);
    }, null, { timeout: 60_000 });
    const panel = page.locator('[data-testid=decoded-panel]');
    assert.equal(await panel.getAttribute('data-preview'), 'true', 'painted before the whole model arrived');
    assert.ok(requested.some((p) => p.endsWith('/weights/mnist.preview.vaew')));
    assert.ok(!requested.some((p) => /train/.test(p)), 'no training images on a first visit');
    assert.ok(await page.locator('[data-testid=train]').isDisabled(), 'training waits for the whole model');
    const fromPreview = await decodedPixels(page);

    release();
    await page.waitForFunction(() => document.querySelector('[data-testid=decoded-panel]').dataset.preview === 'false', null, { timeout: 60_000 });
    const fromWhole = await settledPixels(page);
    const maxDiff = Math.max(...fromPreview.map((v, i) => Math.abs(v - fromWhole[i])));
    assert.ok(maxDiff <= 1, `the f16 preview paints what the whole model does (max diff ${maxDiff})`);
    await page.locator('[data-testid=train]:not([disabled])').waitFor({ timeout: 60_000 });
  } finally {
    await browser.close();
  }
});

test('a learning rate typed while training is kept and reaches the trainer', async () => {
  const browser = await launch();
  try {
    const { page, errors } = await openPlayground(browser, server.url);
    await trainUntil(page, 3, 60_000);
    // Slow typing: the page renders (several times a second while training) between keys.
    await page.click('[data-testid=lr]', { clickCount: 3 });
    await page.keyboard.type('0.0005', { delay: 150 });
    assert.equal(await page.inputValue('[data-testid=lr]'), '0.0005', 'the typed text survives renders');
    await page.keyboard.press('Tab');
    await page.waitForFunction(() => /lr=0.0005/.test(location.search), null, { timeout: 5_000 });
    assert.equal(await page.inputValue('[data-testid=lr]'), '0.0005');
    // A refused value goes back to the page's.
    await page.click('[data-testid=lr]', { clickCount: 3 });
    await page.keyboard.type('-3', { delay: 50 });
    await page.keyboard.press('Tab');
    await page.waitForFunction(() => document.querySelector('[data-testid=lr]').value === '0.0005', null, { timeout: 5_000 });
    await pause(page);
    // Reset: fresh weights decode another image, and the count starts again.
    assert.ok(Number(await text(page, 'metric-step')) >= 3);
    const trained = await settledPixels(page);
    await page.click('[data-testid=reset]');
    await page.waitForFunction(() => document.querySelector('[data-testid=metric-step]').textContent === '0', null, { timeout: 60_000 });
    await page.waitForFunction((b) => {
      const d = document.querySelector('[data-testid=decoded]').getContext('2d').getImageData(0, 0, 28, 28).data;
      return d.some((v, i) => i % 4 === 0 && v !== b[i / 4]);
    }, trained, { timeout: 60_000 });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
