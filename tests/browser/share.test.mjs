// Embed, share and keep: the dist under a sub-path, embed mode, URL state, the host API, the
// example article, and saving/loading/remembering weights. Headless Chromium, release build.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import { serve, launch, openPlayground, decodedPixels, settledPixels, setSlider, text } from './harness.mjs';

const PREFIX = '/posts/2026/vae/';
let server;
let browser;
before(async () => {
  server = await serve(undefined, PREFIX);
  browser = await launch();
});
after(async () => {
  await browser.close();
  server.close();
});

/** Fails the test if any request leaves the page's origin. */
function offOrigin(page, origin) {
  const off = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (!['data:', 'blob:'].includes(u.protocol) && u.origin !== origin) off.push(r.url());
  });
  return off;
}

const visible = (page, id) => page.locator(`[data-testid=${id}]`).count();

test('served under a sub-path, every request stays under it and on the origin', async () => {
  let off;
  let seen = 0;
  const { page, errors } = await openPlayground(browser, server.url, {
    prepare: (p) => {
      off = offOrigin(p, new URL(server.url).origin);
      p.on('request', () => { seen += 1; });
    },
  });
  assert.ok(seen > 3, `the listener saw the page load (${seen} requests)`);
  assert.ok(server.url.endsWith(PREFIX));
  const outside = server.requests.filter((p) => !p.startsWith(PREFIX));
  assert.deepEqual(outside, [], 'requests outside the sub-path');
  assert.deepEqual(off, []);
  assert.deepEqual(errors, []);
  await page.close();
});

test('embed mode shows only the chosen panels and fits 600x400 and 320 px', async () => {
  const page = await browser.newPage({ viewport: { width: 600, height: 400 } });
  const off = offOrigin(page, new URL(server.url).origin);
  await page.goto(`${server.url}?embed&panels=sliders,decoded,chart`);
  await page.waitForFunction(() => document.querySelector('[data-testid=decoded-panel]')?.dataset.shownVersion > 0, null, { timeout: 60_000 });
  assert.equal(await visible(page, 'z1'), 1);
  assert.equal(await visible(page, 'decoded'), 1);
  assert.equal(await visible(page, 'loss-chart'), 1);
  for (const hidden of ['latent-map', 'train', 'metric-step', 'dataset', 'copy-embed', 'attribution']) {
    assert.equal(await visible(page, hidden), 0, `${hidden} should be hidden`);
  }
  assert.equal(await page.locator('h1').count(), 0, 'no page chrome');
  const width = () => page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok((await width()) <= 600, `scroll width ${await width()} at 600`);
  await page.setViewportSize({ width: 320, height: 400 });
  await page.waitForTimeout(100);
  assert.ok((await width()) <= 320, `scroll width ${await width()} at 320`);
  // The decoder still follows the sliders in the frame.
  const before = await decodedPixels(page);
  await setSlider(page, 'z1', -2);
  await page.waitForFunction((b) => {
    const d = document.querySelector('[data-testid=decoded]').getContext('2d').getImageData(0, 0, 28, 28).data;
    return d.some((v, i) => i % 4 === 0 && v !== b[i / 4]);
  }, before);
  assert.deepEqual(off, []);
  await page.close();
});

test('a shared link restores the view; the address bar follows changes', async () => {
  const query = '?dataset=fashion&lr=0.002&beta=2.5&batch=64&hidden=256&seed=7&z=1.5,-0.5';
  const { page, errors } = await openPlayground(browser, server.url + query);
  assert.equal(await page.locator('[data-testid=dataset]').inputValue(), 'fashion');
  assert.equal(await page.locator('[data-testid=beta]').inputValue(), '2.5');
  assert.equal(await page.locator('[data-testid=lr]').inputValue(), '0.002');
  assert.equal(await page.locator('[data-testid=batch]').inputValue(), '64');
  assert.equal(await page.locator('[data-testid=hidden]').inputValue(), '256');
  assert.equal(await page.locator('[data-testid=seed]').inputValue(), '7');
  assert.equal(Number(await page.locator('[data-testid=z1]').inputValue()), 1.5);
  assert.equal(await visible(page, 'url-notice'), 0);

  await setSlider(page, 'z2', 2.25);
  await page.fill('[data-testid=beta]', '0.5');
  await page.locator('[data-testid=beta]').dispatchEvent('change');
  await page.waitForFunction(() => /z=1.5,2.25/.test(location.search) && /beta=0.5/.test(location.search));
  const shared = page.url();
  const pixels = await settledPixels(page);

  const { page: again } = await openPlayground(browser, shared);
  assert.equal(await again.locator('[data-testid=dataset]').inputValue(), 'fashion');
  assert.equal(await again.locator('[data-testid=beta]').inputValue(), '0.5');
  assert.equal(Number(await again.locator('[data-testid=z2]').inputValue()), 2.25);
  assert.deepEqual(await settledPixels(again), pixels, 'same link, same decoded image');
  assert.deepEqual(errors, []);
  await page.close();
  await again.close();
});

test('bad URL values fall back to defaults with a visible notice', async () => {
  const { page, errors } = await openPlayground(browser, `${server.url}?lr=abc&z=99,0&dataset=cifar&panels=nope&beta=-4&<script>=1`);
  const notice = await text(page, 'url-notice');
  for (const piece of ['lr=abc', 'z=99,0', 'cifar', 'nope', 'beta=-4']) assert.ok(notice.includes(piece), `notice mentions ${piece}: ${notice}`);
  assert.equal(await page.locator('[data-testid=lr]').inputValue(), '0.001');
  assert.equal(await page.locator('[data-testid=dataset]').inputValue(), 'mnist');
  assert.equal(Number(await page.locator('[data-testid=z1]').inputValue()), 0);
  assert.equal(await visible(page, 'latent-map'), 1, 'all panels');
  assert.equal(await page.locator('script:not([src])').filter({ hasText: 'alert' }).count(), 0);
  assert.deepEqual(errors, []);
  await page.close();
});

test('copy embed code gives an iframe for the current state', async () => {
  const { page } = await openPlayground(browser, `${server.url}?beta=3`);
  await page.click('[data-testid=embed-panel-chart]');
  await page.click('[data-testid=copy-embed]');
  const code = await page.locator('[data-testid=embed-code]').inputValue();
  assert.match(code, /^<iframe src="http:\/\/127\.0\.0\.1:\d+\/posts\/2026\/vae\/\?embed&amp;panels=decoded,map,chart,sliders|^<iframe src="[^"]*\?embed&amp;panels=[a-z,]*chart/);
  assert.match(code, /beta=3/);
  const src = code.match(/src="([^"]+)"/)[1].replaceAll('&amp;', '&');
  const frame = await browser.newPage();
  await frame.goto(src);
  await frame.locator('[data-testid=loss-chart]').waitFor();
  assert.equal(await visible(frame, 'h1'), 0);
  await page.close();
  await frame.close();
});

test('host API: allowed origins drive the frame, others and malformed messages are ignored', { timeout: 300_000 }, async (t) => {
  const page = await browser.newPage();
  // The host page is served from another origin (another port) of this machine: Chromium blocks
  // public origins from framing loopback ones.
  let html = '';
  const hostServer = createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(html); });
  await new Promise((ok) => hostServer.listen(0, '127.0.0.1', ok));
  t.after(() => hostServer.close());
  const HOST = `http://localhost:${hostServer.address().port}`;
  const hostPage = (frameSrc) => `<!doctype html><iframe id=f src="${frameSrc}" width=600 height=400></iframe>
    <script>window.metrics = []; addEventListener('message', (e) => { if (e.data && e.data.type === 'vae:metrics') metrics.push(e.data); });</script>`;
  const frameOf = async () => {
    const el = await page.waitForSelector('#f');
    const f = await el.contentFrame();
    await f.waitForFunction(() => document.querySelector('[data-testid=decoded-panel]')?.dataset.shownVersion > 0, null, { timeout: 60_000 });
    return f;
  };
  const post = (msg) => page.evaluate((m) => document.getElementById('f').contentWindow.postMessage(m, '*'), msg);
  const ignored = (f) => f.evaluate(() => Number(document.querySelector('[data-testid=playground]').dataset.ignoredMessages));

  // Not allowed: the frame was not told about host.test.
  html = hostPage(`${server.url}?embed&panels=sliders,decoded`);
  await page.goto(`${HOST}/a`);
  let f = await frameOf();
  await post({ type: 'vae:set-z', z: [3, 3] });
  await f.waitForFunction(() => Number(document.querySelector('[data-testid=playground]').dataset.ignoredMessages) >= 1);
  assert.equal(Number(await f.locator('[data-testid=z1]').inputValue()), 0);

  // Allowed with host=: commands work, malformed ones are ignored and nothing breaks.
  html = hostPage(`${server.url}?embed&panels=sliders,decoded,metrics&host=${HOST}`);
  await page.goto(`${HOST}/b`);
  f = await frameOf();
  for (const bad of ['nonsense', 42, null, { type: 'vae:set-z', z: [1e9, 0] }, { type: 'vae:set-z', z: 'x' }, { type: 'vae:explode' }, { type: 'vae:set-dataset', dataset: '../../etc' }]) await post(bad);
  await f.waitForFunction(() => Number(document.querySelector('[data-testid=playground]').dataset.ignoredMessages) >= 7);
  assert.equal(await ignored(f), 7);
  await post({ type: 'vae:set-z', z: [-1.25, 2] });
  await f.waitForFunction(() => Number(document.querySelector('[data-testid=z1]').value) === -1.25);
  assert.equal(Number(await f.locator('[data-testid=z2]').inputValue()), 2);
  await post({ type: 'vae:subscribe' });
  await post({ type: 'vae:set-hyperparameters', beta: 2 });
  await post({ type: 'vae:train' });
  await page.waitForFunction(() => metrics.some((m) => m.step >= 20 && m.training), null, { timeout: 120_000 });
  await post({ type: 'vae:pause' });
  await page.waitForFunction(() => metrics.length && metrics.at(-1).training === false, null, { timeout: 60_000 });
  const last = await page.evaluate(() => metrics.at(-1));
  assert.ok(Number.isFinite(last.kl) && Number.isFinite(last.recon), JSON.stringify(last));
  assert.ok(Math.abs(last.elbo - (last.kl + last.recon)) < 1e-6 * last.elbo);
  assert.equal(await ignored(f), 7);
  await page.close();
});

test('the example article drives its embedded playgrounds', async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const off = offOrigin(page, new URL(server.url).origin);
  await page.goto(`${server.url}examples/blog-post.html`);
  const frame = async (id) => {
    const f = await (await page.waitForSelector(`#${id}`)).contentFrame();
    await f.waitForFunction(() => document.querySelector('[data-testid=decoded-panel]')?.dataset.shownVersion > 0, null, { timeout: 60_000 });
    return f;
  };
  const explorer = await frame('explorer');
  const trainer = await frame('trainer');
  assert.equal(await explorer.locator('[data-testid=loss-chart]').count(), 0);
  assert.equal(await trainer.locator('[data-testid=loss-chart]').count(), 1);

  await page.click('a[data-z="-2,0.5"]');
  await explorer.waitForFunction(() => Number(document.querySelector('[data-testid=z1]').value) === -2);
  assert.equal(Number(await explorer.locator('[data-testid=z2]').inputValue()), 0.5);

  await page.click('a[data-beta="4"]');
  await trainer.waitForFunction(() => Number(document.querySelector('[data-testid=metric-step]').textContent) > 10, null, { timeout: 120_000 });
  await page.waitForFunction(() => Number(document.getElementById('live').dataset.step) > 0, null, { timeout: 30_000 });
  assert.match(await page.locator('#live').textContent(), /KL \d/);
  await page.click('a[data-command="pause"]');
  assert.deepEqual(errors, []);
  assert.deepEqual(off, []);
  await page.close();
});

test('download then load weights gives the same pixels; a corrupt file is refused', async () => {
  const { page, errors } = await openPlayground(browser, server.url);
  await page.locator('[data-testid=step]:not([disabled])').waitFor();
  for (let i = 0; i < 3; i++) {
    await page.click('[data-testid=step]');
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid=metric-step]').textContent) === n, i + 1, { timeout: 60_000 });
  }
  await setSlider(page, 'z1', 1.25);
  const trained = await settledPixels(page);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download]')]);
  const file = join(tmpdir(), `vae-test-${process.pid}.vaew`);
  await download.saveAs(file);
  assert.match(download.suggestedFilename(), /^vae-mnist-h512-step3\.vaew$/);

  await page.click('[data-testid=restore]');
  await page.waitForFunction(() => document.querySelector('[data-testid=metric-step]').textContent === '0');
  assert.notDeepEqual(await settledPixels(page), trained);

  await page.setInputFiles('[data-testid=load-weights]', file);
  await page.waitForFunction(() => document.querySelector('[data-testid=metric-step]').textContent === '3');
  assert.deepEqual(await settledPixels(page), trained, 'loaded weights decode the same');

  // Corrupt files: the model and its pixels stay.
  const bytes = await readFile(file);
  const flipped = Buffer.from(bytes);
  flipped[flipped.length - 100] ^= 0xff;
  for (const [name, buffer, says] of [
    ['empty.vaew', Buffer.alloc(0), /too short|bytes/i],
    ['truncated.vaew', bytes.subarray(0, 5000), /.+/],
    ['flipped.vaew', flipped, /checksum/i],
    ['photo.vaew', Buffer.from('not a weights file at all, just text'), /not a|magic/i],
  ]) {
    await page.setInputFiles('[data-testid=load-weights]', { name, mimeType: 'application/octet-stream', buffer });
    await page.locator('[data-testid=notice]').waitFor();
    const notice = await text(page, 'notice');
    assert.match(notice, /could not be used.*unchanged/s, notice);
    assert.match(notice, says, `${name}: ${notice}`);
    assert.equal(await text(page, 'metric-step'), '3');
    assert.deepEqual(await settledPixels(page), trained, `${name} left the model alone`);
    await page.click('[data-testid=notice] .dismiss');
  }
  assert.deepEqual(errors, []);
  await page.close();
  await writeFile(file, '');
});

test('the trained model is remembered across reloads until forgotten', async () => {
  const { page } = await openPlayground(browser, server.url);
  await page.locator('[data-testid=step]:not([disabled])').waitFor();
  for (let i = 1; i <= 2; i++) {
    await page.click('[data-testid=step]');
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid=metric-step]').textContent) === n, i, { timeout: 60_000 });
  }
  await page.waitForFunction(() => /step 2/.test(document.querySelector('[data-testid=remembered]').textContent), null, { timeout: 60_000 });
  const trained = await settledPixels(page);

  await page.reload();
  await page.waitForFunction(() => document.querySelector('[data-testid=metric-step]')?.textContent === '2', null, { timeout: 60_000 });
  assert.match(await text(page, 'status'), /Restored/);
  assert.deepEqual(await settledPixels(page), trained);

  await page.click('[data-testid=remember]');
  await page.waitForFunction(() => /Forgot/.test(document.querySelector('[data-testid=status]').textContent));
  await page.reload();
  await page.waitForFunction(() => document.querySelector('[data-testid=decoded-panel]')?.dataset.shownVersion > 0, null, { timeout: 60_000 });
  assert.equal(await text(page, 'metric-step'), '0');
  assert.notDeepEqual(await settledPixels(page), trained);
  await page.close();
});
