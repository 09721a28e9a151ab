// A phone: Chromium's mobile emulation (390 × 844, touch, coarse pointer), the page used by
// touch alone: one column without sideways scrolling, targets of at least 44 px, and the
// sliders, the map, the pad and the buttons all answering taps and drags. Then the embed at 320 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch } from './harness.mjs';

let server;
let browser;
before(async () => { server = await serve(); browser = await launch(); });
after(async () => { await browser.close(); server.close(); });

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true };

async function openPhone(url, viewport = PHONE.viewport) {
  const context = await browser.newContext({ ...PHONE, viewport });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await page.waitForFunction(() => document.querySelector('[data-testid=decoded-panel]')?.dataset.preview === 'false', null, { timeout: 60_000 });
  const cdp = await context.newCDPSession(page);
  return { page, errors, cdp, close: () => context.close() };
}

/** The element's box in the viewport, scrolled to the middle of the screen first. */
async function boxOf(page, selector) {
  await page.evaluate((s) => document.querySelector(s).scrollIntoView({ block: 'center' }), selector);
  return page.evaluate((s) => { const r = document.querySelector(s).getBoundingClientRect(); return { x: r.left, y: r.top, width: r.width, height: r.height }; }, selector);
}

/** One finger down at the first point, through the rest, lifted at the last (fractions of the element). */
async function touchDrag({ page, cdp }, selector, path) {
  const b = await boxOf(page, selector);
  const at = ([fx, fy]) => ({ x: b.x + fx * b.width, y: b.y + fy * b.height });
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [at(path[0])] });
  for (const p of path.slice(1)) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [at(p)] });
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
}

async function tap({ page }, selector, [fx, fy] = [0.5, 0.5]) {
  const b = await boxOf(page, selector);
  await page.touchscreen.tap(b.x + fx * b.width, b.y + fy * b.height);
}

const z = (page) => page.evaluate(() => [Number(document.querySelector('[data-testid=z1]').value), Number(document.querySelector('[data-testid=z2]').value)]);

/** Controls smaller than 44 × 44 CSS px (a checkbox or file input counts its label); links
 *  inside a sentence are exempt, as WCAG 2.5.5 exempts them. */
const smallTargets = (page) => page.evaluate(() => {
  const small = [];
  for (const el of document.querySelectorAll('button, input, select, textarea, a, canvas[data-testid=draw-pad], canvas[data-testid=latent-map]')) {
    if (el.tagName === 'A' && el.closest('p')) continue;
    const target = el.type === 'checkbox' || el.type === 'file' ? el.closest('label') ?? el : el;
    const r = target.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.width < 44 || r.height < 44) small.push(`${el.dataset.testid ?? el.tagName}: ${r.width.toFixed(0)} × ${r.height.toFixed(0)}`);
  }
  return small;
});

const overflow = (page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

test('phone (390 × 844, touch): one column, no sideways scrolling, every target at least 44 px', async () => {
  const phone = await openPhone(server.url);
  try {
    assert.equal(await phone.page.evaluate(() => matchMedia('(pointer: coarse)').matches), true, 'the emulation is a touch screen');
    assert.equal(await overflow(phone.page), 0, 'no sideways scrolling');
    // One column: the panels' left edges line up.
    const lefts = await phone.page.evaluate(() => [...new Set([...document.querySelectorAll('.panel')].map((p) => Math.round(p.getBoundingClientRect().left)))]);
    assert.equal(lefts.length, 1, `panel left edges ${lefts}`);
    assert.deepEqual(await smallTargets(phone.page), []);
    // A tap on a panel's "?" shows its explanation inside the screen; a tap on a read-out, its own.
    await tap(phone, '[data-testid=maths-panel] h2 .info');
    const pop = () => phone.page.evaluate(() => {
      const p = document.getElementById('explain-pop');
      const r = p.getBoundingClientRect();
      return { shown: !p.hidden, for: p.dataset.explains, inside: r.left >= 0 && r.right <= innerWidth };
    });
    assert.deepEqual(await pop(), { shown: true, for: 'maths-panel', inside: true });
    await tap(phone, '[data-testid=z1-value]');
    assert.deepEqual(await pop(), { shown: true, for: 'z1-value', inside: true });
    assert.deepEqual(phone.errors, []);
  } finally { await phone.close(); }
});

test('phone: the sliders, the map, the draw pad and the buttons work by touch', async () => {
  const phone = await openPhone(server.url);
  const { page } = phone;
  try {
    // A tap on the z₁ slider's track at 80 % sets z₁ near +2.4 (the range is −4…4).
    await tap(phone, '[data-testid=z1]', [0.8, 0.5]);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=z1]').value) > 1.5, null, { timeout: 5_000 });
    // A tap on the map moves z there; a drag follows the finger.
    await tap(phone, '[data-testid=latent-map]', [0.25, 0.25]);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=z1]').value) < -1.5, null, { timeout: 5_000 });
    let [z1, z2] = await z(page);
    assert.ok(Math.abs(z1 + 2) < 0.25 && Math.abs(z2 - 2) < 0.25, `tap: z = (${z1}, ${z2})`);
    await touchDrag(phone, '[data-testid=latent-map]', [[0.5, 0.5], [0.6, 0.6], [0.7, 0.7], [0.75, 0.75]]);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=z1]').value) > 1.5, null, { timeout: 5_000 });
    [z1, z2] = await z(page);
    assert.ok(Math.abs(z1 - 2) < 0.25 && Math.abs(z2 + 2) < 0.25, `drag: z = (${z1}, ${z2})`);
    // The pad takes a finger's stroke, and the drawing is inspected.
    await touchDrag(phone, '[data-testid=draw-pad]', Array.from({ length: 13 }, (_, k) => [0.5, 0.15 + k * 0.06]));
    await page.waitForFunction(() => document.querySelector('[data-testid=inspect-panel]')?.dataset.inspected === 'true', null, { timeout: 60_000 });
    assert.match(await page.locator('[data-testid=inspect-input]').getAttribute('aria-label'), /your drawing/);
    assert.equal(await overflow(page), 0, 'the page scrolled to the pad, not sideways');
    // Buttons by tap: a test image, then Train and Pause; the speed read-out says how fast.
    await tap(phone, '[data-testid=example-3]');
    await page.waitForFunction(() => /test image/.test(document.querySelector('[data-testid=inspect-input]')?.getAttribute('aria-label') ?? ''), null, { timeout: 60_000 });
    await page.locator('[data-testid=train]:not([disabled])').waitFor({ timeout: 60_000 });
    await tap(phone, '[data-testid=train]');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=metric-step]').textContent) >= 10, null, { timeout: 120_000 });
    await tap(phone, '[data-testid=train]');
    await page.waitForFunction(() => document.querySelector('[data-testid=playground]').dataset.trainerBusy === 'false', null, { timeout: 60_000 });
    assert.ok(Number(await page.locator('[data-testid=metric-speed]').textContent()) > 0, 'images/s shown');
    assert.deepEqual(phone.errors, []);
  } finally { await phone.close(); }
});

test('phone: an embed 320 px wide fits, and its sliders and map work by touch', async () => {
  const phone = await openPhone(`${server.url}?embed&panels=sliders,decoded,map`, { width: 320, height: 640 });
  const { page } = phone;
  try {
    assert.equal(await overflow(page), 0, 'no sideways scrolling at 320 px');
    assert.deepEqual(await smallTargets(page), []);
    await tap(phone, '[data-testid=z2]', [0.2, 0.5]);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=z2]').value) < -1.5, null, { timeout: 5_000 });
    await tap(phone, '[data-testid=latent-map]', [0.75, 0.25]);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=z1]').value) > 1.5, null, { timeout: 5_000 });
    const [z1, z2] = await z(page);
    assert.ok(Math.abs(z1 - 2) < 0.25 && Math.abs(z2 - 2) < 0.25, `tap: z = (${z1}, ${z2})`);
    assert.deepEqual(phone.errors, []);
  } finally { await phone.close(); }
});
