// Slow motion: one training step played out in stages, stepped with Next and Back, entered and
// driven by the keyboard alone, laid out at phone width. Headless Chromium, release build.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPlayground, text } from './harness.mjs';

const STAGES = ['batch drawn', 'encoded', 'z sampled', 'decoded', 'loss computed', 'gradient step'];

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

const stageIs = (page, name) => page.waitForFunction(
  (n) => document.querySelector('[data-testid=slowmo-stage]')?.textContent === n, name, { timeout: 120_000 });
const count = (page, selector) => page.locator(selector).count();
const chartPoints = (page) => page.getAttribute('[data-testid=loss-chart]', 'data-points');
/** The map's lower canvas, as a data URL: what the map draws. */
const mapImage = (page) => page.evaluate(() => document.querySelector('[data-testid=latent-map]').toDataURL());

test('one step in six stages: forward and back, the step counted once, at the gradient step', async () => {
  const { page, errors } = await openPlayground(browser, server.url);
  await page.locator('[data-testid=slowmo]:not([disabled])').waitFor({ timeout: 60_000 });
  assert.equal(await text(page, 'metric-step'), '0');
  await page.click('[data-testid=slowmo]');
  await stageIs(page, STAGES[0]);
  assert.equal(await count(page, '.slowmo-item'), 8, 'a batch of 8, each image shown');
  assert.equal(await count(page, '.slowmo-item .thumb'), 8, 'inputs only, before decoding');
  const plainMap = await mapImage(page);

  for (const [i, name] of STAGES.entries()) {
    if (i === 0) continue;
    assert.equal(await text(page, 'metric-step'), '0', `no step counted before "${name}"`);
    await page.click('[data-testid=slowmo-next]');
    await stageIs(page, name);
    if (name === 'encoded') {
      await page.waitForFunction((before) => document.querySelector('[data-testid=latent-map]').toDataURL() !== before, plainMap);
    }
    if (name === 'decoded') assert.equal(await count(page, '.slowmo-item .thumb'), 16, 'reconstructions beside the inputs');
    if (name === 'loss computed') assert.match(await text(page, 'slowmo-loss'), /loss = recon [\d.]+ \+ β 1 × KL [\d.]+ = [\d.]+/);
  }
  await page.waitForFunction(() => document.querySelector('[data-testid=metric-step]').textContent === '1');
  await page.waitForFunction(() => document.querySelector('[data-testid=loss-chart]').dataset.pretrained === 'false');
  assert.equal(await chartPoints(page), '1', 'the chart gained the step');

  // Back shows the earlier stages again; the step, once taken, is not taken twice.
  await page.click('[data-testid=slowmo-back]');
  await stageIs(page, 'loss computed');
  await page.click('[data-testid=slowmo-next]');
  await stageIs(page, 'gradient step');
  for (let i = 1; i < STAGES.length; i++) {
    await page.click('[data-testid=slowmo-back]');
  }
  await stageIs(page, STAGES[0]);
  assert.equal(await text(page, 'metric-step'), '1');
  assert.equal(await chartPoints(page), '1');

  await page.click('[data-testid=slowmo-exit]');
  await page.locator('[data-testid=slowmo-panel]').waitFor({ state: 'detached' });
  assert.equal(await text(page, 'metric-step'), '1');
  assert.deepEqual(errors, []);
  await page.close();
});

test('slow motion by keyboard alone, at phone width, with no text under 11 px', async () => {
  const { page, errors } = await openPlayground(browser, server.url);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.locator('[data-testid=slowmo]:not([disabled])').waitFor({ timeout: 60_000 });
  await page.focus('[data-testid=slowmo]');
  await page.keyboard.press('Enter');
  await stageIs(page, STAGES[0]);
  // Focus moved into the panel: Tab reaches Back, then Next.
  assert.ok(await page.evaluate(() => document.querySelector('[data-testid=slowmo-panel]').contains(document.activeElement)));
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'slowmo-next');
  for (const name of STAGES.slice(1)) {
    await page.keyboard.press('Enter');
    await stageIs(page, name);
  }
  await page.waitForFunction(() => document.querySelector('[data-testid=metric-step]').textContent === '1');
  // Shift+Tab to Back, and back one stage.
  await page.keyboard.press('Shift+Tab');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'slowmo-back');
  await page.keyboard.press('Enter');
  await stageIs(page, 'loss computed');

  const layout = await page.evaluate(() => {
    const panel = document.querySelector('[data-testid=slowmo-panel]');
    const small = [...panel.querySelectorAll('*')]
      .filter((el) => el.textContent.trim() && el.getClientRects().length)
      .map((el) => [el.tagName, parseFloat(getComputedStyle(el).fontSize)])
      .filter(([, size]) => size < 11);
    return { scroll: document.documentElement.scrollWidth, small };
  });
  assert.ok(layout.scroll <= 390, `no sideways scroll at 390 px (scroll width ${layout.scroll})`);
  assert.deepEqual(layout.small, [], 'text under 11 px');

  // Play runs the stages on by itself: past the last, into another step.
  const pressed = (value) => page.waitForFunction(
    (v) => document.querySelector('[data-testid=slowmo-play]').getAttribute('aria-pressed') === v, value);
  await page.click('[data-testid=slowmo-play]');
  await pressed('true');
  await page.waitForFunction(() => document.querySelector('[data-testid=metric-step]').textContent === '2', null, { timeout: 120_000 });
  await page.click('[data-testid=slowmo-play]');
  await pressed('false');
  assert.deepEqual(errors, []);
  await page.close();
});

/** Enter slow motion and step to the loss: its batch means [recon, KL, loss] as shown. */
async function slowLoss(page) {
  await page.locator('[data-testid=slowmo]:not([disabled])').waitFor({ timeout: 60_000 });
  await page.click('[data-testid=slowmo]');
  await stageIs(page, STAGES[0]);
  for (const name of STAGES.slice(1, 5)) {
    await page.click('[data-testid=slowmo-next]');
    await stageIs(page, name);
  }
  const m = (await text(page, 'slowmo-loss')).match(/recon ([\d.]+) \+ β 1 × KL ([\d.]+) = ([\d.]+)/);
  assert.ok(m, 'the loss as text');
  return m.slice(1).map(Number);
}

test('on WebGPU the slow step is the CPU\'s step: the same batch loss, and it counts', async (t) => {
  const { page: cpuPage } = await openPlayground(browser, server.url);
  assert.match(await text(cpuPage, 'backend'), /CPU/);
  const onCpu = await slowLoss(cpuPage);
  await cpuPage.close();
  const gpuBrowser = await launch({ webgpu: true });
  try {
    const { page, errors } = await openPlayground(gpuBrowser, server.url);
    assert.match(await text(page, 'backend'), /WebGPU/);
    const onGpu = await slowLoss(page);
    t.diagnostic(`recon, KL, loss: WebGPU ${onGpu}, CPU ${onCpu}`);
    // The same weights, batch and noise on SwiftShader's WebGPU: equal to float rounding (the
    // text has two decimals).
    for (const [j, c] of onCpu.entries()) {
      assert.ok(Math.abs(onGpu[j] - c) <= 1e-3 * c + 0.011, `WebGPU ${onGpu} against CPU ${onCpu}`);
    }
    await page.click('[data-testid=slowmo-next]');
    await stageIs(page, 'gradient step');
    await page.waitForFunction(() => document.querySelector('[data-testid=metric-step]').textContent === '1');
    assert.match(await text(page, 'backend'), /WebGPU/, 'still on WebGPU');
    assert.deepEqual(errors, []);
  } finally {
    await gpuBrowser.close();
  }
});

test('a link opens slow motion at its stage; the example article steps its frame through the stages', async () => {
  const { page, errors } = await openPlayground(browser, `${server.url}?slowmo=decode`);
  await stageIs(page, 'decoded');
  assert.equal(await count(page, '.slowmo-item .thumb'), 16, 'reconstructions beside the inputs');
  assert.equal(await text(page, 'metric-step'), '0', 'not counted before the gradient step');
  await page.close();

  const article = await browser.newPage();
  article.on('pageerror', (e) => errors.push(String(e)));
  await article.goto(`${server.url}examples/blog-post.html`);
  // The frame loads lazily: once scrolled to. It opens slow motion by its own link.
  await article.locator('#step').scrollIntoViewIfNeeded();
  const frame = await (await article.waitForSelector('#step')).contentFrame();
  await stageIs(frame, STAGES[0]);
  // Its caption follows the stage from the frame's metrics.
  await article.waitForFunction(() => document.getElementById('stage').dataset.stage === 'batch', null, { timeout: 30_000 });
  for (const [key, name] of [['loss', 'loss computed'], ['encode', 'encoded'], ['step', 'gradient step']]) {
    await article.click(`a[data-slowmo=${key}]`);
    await stageIs(frame, name);
    await article.waitForFunction((k) => document.getElementById('stage').dataset.stage === k, key);
  }
  // The step was taken: the frame's checkpoint is the weights after it.
  await frame.waitForFunction(() => document.querySelector('[data-testid=playground]').dataset.checkpointStep === '1');
  assert.equal(Number(await frame.locator('[data-testid=playground]').getAttribute('data-ignored-messages')), 0);
  assert.deepEqual(errors, []);
  await article.close();
});
