// The WebGPU matmul kernel choice in headless Chromium on its software adapter (SwiftShader):
// measured when training first starts, shown, remembered for the adapter across a reload, and
// forced by the link. Natively the same is checked on lavapipe (tests/page_state.rs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPlayground, text } from './harness.mjs';

let server;
before(async () => { server = await serve(); });
after(() => server.close());

/** Click Step once the whole model is in, then wait for the kernel line to say `state`. */
async function stepUntilKernel(page, state) {
  await page.locator('[data-testid=step]:not([disabled])').waitFor({ timeout: 60_000 });
  await page.click('[data-testid=step]');
  await page.waitForFunction((s) => document.querySelector('[data-testid=kernel]')?.dataset.kernel === s, state, { timeout: 120_000 });
  return text(page, 'kernel');
}

test('WebGPU: the matmul kernel is measured once, shown, remembered across a reload, and forced by the link', async (t) => {
  const browser = await launch({ webgpu: true });
  try {
    const { page, errors } = await openPlayground(browser, server.url);
    assert.match(await text(page, 'backend'), /WebGPU/);
    // Every state the kernel line and the status line pass through, from the first.
    await page.evaluate(() => {
      window.kernelStates = [];
      window.statuses = [];
      new MutationObserver(() => {
        const s = document.querySelector('[data-testid=kernel]')?.dataset.kernel;
        if (s && s !== window.kernelStates.at(-1)) window.kernelStates.push(s);
        const status = document.querySelector('[data-testid=status]')?.textContent;
        if (status && status !== window.statuses.at(-1)) window.statuses.push(status);
      }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['data-kernel'] });
    });
    const measured = await stepUntilKernel(page, 'measured');
    // While the kernels compiled (started as the images loaded), the page said so.
    const statuses = await page.evaluate(() => window.statuses);
    assert.ok(statuses.some((s) => /^Ready\. Training on \d+ images once WebGPU has compiled the training kernels/.test(s)), statuses.join(' | '));
    const timings = JSON.parse(await page.locator('[data-testid=kernel]').getAttribute('data-timings'));
    t.diagnostic(`${measured} timings: ${JSON.stringify(timings)}`);
    assert.deepEqual(await page.evaluate(() => window.kernelStates), ['measuring', 'measured'], 'the page said it was measuring');
    assert.match(measured, /^Matmul kernel: .* \(measured in \d+ ms( after \d+ ms compiling)?; 128×784×512: ours [\d.]+ ms, Burn's [\d.]+ ms\)\.$/);
    assert.ok(timings.some((x) => x.kernel === 'Ours') && timings.some((x) => x.kernel === 'Burn'), 'both kernels timed');

    // A reload: the choice kept for this adapter is used, with nothing measured.
    await page.reload();
    await page.evaluate(() => {
      window.kernelStates = [];
      new MutationObserver(() => {
        const s = document.querySelector('[data-testid=kernel]')?.dataset.kernel;
        if (s && s !== window.kernelStates.at(-1)) window.kernelStates.push(s);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-kernel'] });
    });
    const kept = await stepUntilKernel(page, 'remembered');
    assert.deepEqual(await page.evaluate(() => window.kernelStates), ['remembered'], 'no measurement after the reload');
    assert.equal(kept.replace(/ \(.*/, ''), measured.replace(/ \(.*/, ''), 'the same kernels as measured');

    // The link forces one kernel, and the setting shows it. (Ours: a step with Burn's takes
    // tens of seconds on SwiftShader.)
    const forced = await browser.newPage();
    await forced.goto(`${server.url}?kernel=ours`);
    assert.equal(await stepUntilKernel(forced, 'forced'), 'Matmul kernel: ours (forced).');
    assert.equal(await forced.locator('[data-testid=kernel-select]').inputValue(), 'ours');
    // The setting forces Burn's on the trainer there is.
    await forced.selectOption('[data-testid=kernel-select]', 'burn');
    await forced.waitForFunction(() => document.querySelector('[data-testid=kernel]').textContent === "Matmul kernel: Burn's (forced).", null, { timeout: 120_000 });
    assert.deepEqual(errors, [], 'no console errors');
  } finally {
    await browser.close();
  }
});
