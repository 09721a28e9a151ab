// Explanations and the guided tour in headless Chromium: the tour reaches every stop from the
// keyboard alone and is remembered as done; every interactive element the page renders has an
// accessible name and an explanation (as the browser's accessibility tree computes them), and
// the explanations show on focus, hover and tap.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPlayground } from './harness.mjs';

let server;
let browser;
before(async () => { server = await serve(); browser = await launch(); });
after(async () => { await browser.close(); server.close(); });

const STOPS = ['latent-map', 'z1', 'decoded', 'train', 'loss-chart', 'chart-rd', 'inspect-panel', 'maths-panel'];

const focused = (page) => page.evaluate(() => document.activeElement?.dataset.testid ?? document.activeElement?.tagName);
const tourStop = (page) => page.evaluate(() => {
  const card = document.querySelector('[data-testid=tour]');
  return card && { stop: Number(card.dataset.tourStop), for: card.dataset.tourFor, marked: [...document.querySelectorAll('[data-tour-target]')].map((e) => e.dataset.testid) };
});

test('the tour: every stop with the keyboard alone, Back, Escape, remembered as done, ?tour starts it again', async () => {
  const context = await browser.newContext();
  try {
    const { page, errors } = await openPlayground(context, server.url);
    // A first visit is invited, and nothing starts by itself.
    assert.ok(await page.locator('.tour-invite').isVisible());
    assert.equal(await tourStop(page), null);
    // Tab to the Tour button from the top of the page.
    let tabs = 0;
    while ((await focused(page)) !== 'tour-start') {
      await page.keyboard.press('Tab');
      assert.ok(++tabs < 20, `Tour button not reached by Tab (at ${await focused(page)})`);
    }
    await page.keyboard.press('Enter');
    for (const [i, target] of STOPS.entries()) {
      await page.waitForFunction((i) => document.querySelector('[data-testid=tour]')?.dataset.tourStop === String(i), i);
      const at = await tourStop(page);
      assert.deepEqual(at, { stop: i, for: target, marked: [target] }, `stop ${i}`);
      assert.equal(await focused(page), 'tour-next', 'the focus stays on Next');
      // The stop's element is in view, not under the card.
      const visible = await page.evaluate((t) => {
        const r = document.querySelector(`[data-testid=${t}]`).getBoundingClientRect();
        return r.bottom > 0 && r.top < innerHeight;
      }, target);
      assert.ok(visible, `${target} scrolled into view`);
      if (i === 2) {
        // Back by keyboard: Shift+Tab to Back, Enter, then Tab to Next again.
        await page.keyboard.press('Shift+Tab');
        assert.equal(await focused(page), 'tour-back');
        await page.keyboard.press('Enter');
        await page.waitForFunction(() => document.querySelector('[data-testid=tour]')?.dataset.tourStop === '1');
        await page.locator('[data-testid=tour-next]').focus();
        await page.keyboard.press('Enter');
        await page.waitForFunction(() => document.querySelector('[data-testid=tour]')?.dataset.tourStop === '2');
      }
      await page.keyboard.press('Enter');
    }
    await page.waitForFunction(() => !document.querySelector('[data-testid=tour]'));
    assert.equal(await focused(page), 'tour-start', 'the focus returns to the Tour button');
    assert.equal(await page.evaluate(() => document.querySelectorAll('[data-tour-target]').length), 0);
    assert.equal(await page.locator('.tour-invite').count(), 0, 'no invitation once done');

    // Remembered: a reload neither invites nor starts it.
    await page.reload();
    await page.locator('[data-testid=tour-start]').waitFor();
    assert.equal(await page.locator('.tour-invite').count(), 0);
    assert.equal(await tourStop(page), null);
    // `tour` in the link starts it all the same; Escape leaves it from anywhere on the page.
    await page.goto(`${server.url}?tour`);
    await page.waitForFunction(() => document.querySelector('[data-testid=tour]')?.dataset.tourStop === '0');
    assert.equal(await focused(page), 'tour-next');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !document.querySelector('[data-testid=tour]'));
    assert.equal(await page.locator('[data-testid=url-notice]').count(), 0, '`tour` is a known parameter');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('every interactive element has an accessible name and an explanation; explanations show on focus, hover and tap', async () => {
  const { page, errors } = await openPlayground(browser, server.url);
  // Bring out what an inspection adds (its numbers, the walk's buttons, the maths).
  await page.click('[data-testid=example-3]');
  // The gap split comes last, and takes seconds on a busy machine.
  await page.waitForFunction(() => document.querySelector('[data-testid=maths-panel]')?.dataset.kl && document.querySelector('[data-testid=ev-gap-amort]'), null, { timeout: 180_000 });
  await page.click('[data-testid=tour-start]');
  await page.locator('[data-testid=tour-next]').waitFor();

  // Every element with a test id on the page is explained (the table is complete for what
  // renders, whatever else lands on the page later).
  const unexplained = await page.evaluate(() => [...document.querySelectorAll('[data-testid]')]
    .filter((el) => !(document.getElementById(el.getAttribute('aria-describedby') ?? '')?.textContent.trim()))
    .map((el) => el.dataset.testid));
  assert.deepEqual(unexplained, [], 'elements without an explanation');

  // The browser's own accessible name and description of every interactive element shown.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Accessibility.enable');
  const { result } = await cdp.send('Runtime.evaluate', {
    expression: `window.__interactive = [...document.querySelectorAll('button, input, select, textarea, [role=button], [tabindex]')]
      .filter((el) => el.checkVisibility() && !el.closest('[aria-hidden=true]')); window.__interactive.length`,
    returnByValue: true,
  });
  const count = result.value;
  assert.ok(count > 60, `${count} interactive elements`);
  const missing = [];
  for (let i = 0; i < count; i++) {
    const { result: el } = await cdp.send('Runtime.evaluate', { expression: `window.__interactive[${i}]` });
    const { nodes } = await cdp.send('Accessibility.getPartialAXTree', { objectId: el.objectId, fetchRelatives: false });
    const node = nodes[0];
    const name = node.name?.value?.trim() ?? '';
    const description = node.description?.value?.trim() ?? '';
    if (!name || description.length < 20) {
      const { result: what } = await cdp.send('Runtime.evaluate', { expression: `(e => e.dataset.testid || e.outerHTML.slice(0, 80))(window.__interactive[${i}])`, returnByValue: true });
      missing.push(`${what.value}: name "${name}", description "${description}"`);
    }
  }
  await cdp.detach();
  assert.deepEqual(missing, [], 'interactive elements without a name or an explanation');
  await page.keyboard.press('Escape');

  const popover = () => page.evaluate(() => {
    const p = document.getElementById('explain-pop');
    return p && !p.hidden ? { text: p.textContent, for: p.dataset.explains } : null;
  });
  // Focus (the keyboard), hover (a mouse), tap (a touch on a panel's "?").
  await page.locator('[data-testid=beta]').focus();
  assert.deepEqual(await popover(), { text: await page.evaluate(() => document.getElementById('explain-beta').textContent), for: 'beta' });
  assert.match((await popover()).text, /recon \+ β·KL/);
  await page.locator('[data-testid=metric-kl]').hover();
  await page.waitForFunction(() => document.getElementById('explain-pop').dataset.explains === 'metric-kl');
  assert.match((await popover()).text, /Σⱼ −ln σⱼ \+ \(σⱼ² \+ μⱼ² − 1\)\/2/);
  await page.mouse.move(0, 0);
  await page.waitForFunction(() => document.getElementById('explain-pop').hidden);
  const info = page.locator('[data-testid=maths-panel] h2 .info');
  await info.click();
  assert.equal((await popover()).for, 'maths-panel');
  await info.click();
  assert.equal(await popover(), null, 'a second tap closes it');
  // The popover never takes a click meant for what is under it.
  assert.equal(await page.evaluate(() => getComputedStyle(document.getElementById('explain-pop')).pointerEvents), 'none');
  assert.deepEqual(errors, []);
});
