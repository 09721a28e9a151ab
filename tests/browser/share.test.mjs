// Embed, share and keep: the dist under a sub-path, embed mode, URL state, the host API, the
// example article, and saving/loading/remembering weights. Headless Chromium, release build.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, serveHost, launch, openPlayground, decodedPixels, settledPixels, setSlider, text } from './harness.mjs';

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

// Whether embeds fit their frames is embed.test.mjs's.
test('embed mode shows only the chosen panels, without the page\'s chrome, never wider than its frame', async () => {
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
  // σₓ is for the Gaussian decoder only.
  assert.ok(await page.locator('[data-testid=sigma]').isDisabled(), 'no σₓ for the Bernoulli decoder');
  await page.selectOption('[data-testid=decoder]', 'gaussian');
  await page.locator('[data-testid=sigma]:not([disabled])').waitFor({ timeout: 5_000 });
  await page.fill('[data-testid=sigma]', '0.25');
  await page.locator('[data-testid=sigma]').dispatchEvent('change');
  await page.waitForFunction(() => /z=1.5,2.25/.test(location.search) && /beta=0.5/.test(location.search) && /decoder=gaussian&sigma=0.25(&|$)/.test(location.search));
  const shared = page.url();
  const pixels = await settledPixels(page);

  const { page: again } = await openPlayground(browser, shared);
  assert.equal(await again.locator('[data-testid=dataset]').inputValue(), 'fashion');
  assert.equal(await again.locator('[data-testid=beta]').inputValue(), '0.5');
  assert.equal(await again.locator('[data-testid=decoder]').inputValue(), 'gaussian');
  assert.equal(await again.locator('[data-testid=sigma]').inputValue(), '0.25');
  assert.ok(await again.locator('[data-testid=sigma]').isEnabled());
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

test('copy link and copy embed code give the current state', async (t) => {
  // A context that may read the clipboard back.
  const context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
  t.after(() => context.close());
  const { page } = await openPlayground(context, `${server.url}?beta=3`);
  // The copy is asynchronous: wait until the clipboard holds something new.
  const copied = (old) => page.waitForFunction((old) => navigator.clipboard.readText().then((t) => t !== old && t), old).then((h) => h.jsonValue());
  await page.evaluate(() => navigator.clipboard.writeText('before'));
  await page.click('[data-testid=copy-link]');
  const link = await copied('before');
  assert.equal(link, page.url());
  assert.match(link, /\?beta=3$/);
  await page.click('[data-testid=embed-panel-chart]');
  await page.click('[data-testid=copy-embed]');
  const code = await page.locator('[data-testid=embed-code]').inputValue();
  assert.equal(await copied(link), code);
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

const playground = (f) => f.evaluate(() => document.querySelector('[data-testid=playground]').dataset);

test('host API: allowed origins drive the frame, others and malformed messages are ignored', { timeout: 300_000 }, async (t) => {
  const host = await serveHost();
  t.after(host.close);
  const page = await browser.newPage();
  const post = (msg) => host.post(page, msg);
  const ignored = async (f) => Number((await playground(f)).ignoredMessages);

  // Not allowed: the frame was not told about the host's origin.
  let f = await host.open(page, `${server.url}?embed&panels=sliders,decoded`);
  await post({ type: 'vae:set-z', z: [3, 3] });
  await f.waitForFunction(() => Number(document.querySelector('[data-testid=playground]').dataset.ignoredMessages) >= 1);
  assert.equal(Number(await f.locator('[data-testid=z1]').inputValue()), 0);

  // Allowed with host=: commands work, malformed ones are ignored and nothing breaks.
  f = await host.open(page, `${server.url}?embed&panels=sliders,decoded,metrics&host=${host.origin}`);
  for (const bad of ['nonsense', 42, null, { type: 'vae:set-z', z: [1e9, 0] }, { type: 'vae:set-z', z: 'x' }, { type: 'vae:explode' }, { type: 'vae:set-dataset', dataset: '../../etc' }]) await post(bad);
  await f.waitForFunction(() => Number(document.querySelector('[data-testid=playground]').dataset.ignoredMessages) >= 7);
  assert.equal(await ignored(f), 7);
  // Incoming commands have no rate limit (only metrics going out do): a burst of 30 valid ones
  // in one task is all taken, none counted as ignored, and the last one wins.
  await page.evaluate(() => {
    const w = document.getElementById('f').contentWindow;
    for (let k = 29; k >= 0; k--) w.postMessage({ type: 'vae:set-z', z: [-1.25 - k * 0.09, 2] }, '*');
  });
  await f.waitForFunction(() => Number(document.querySelector('[data-testid=z1]').value) === -1.25);
  assert.equal(Number(await f.locator('[data-testid=z2]').inputValue()), 2);
  assert.equal(await ignored(f), 7, 'a burst of valid commands is not refused');
  await post({ type: 'vae:subscribe' });
  await post({ type: 'vae:set-hyperparameters', beta: 2 });
  await post({ type: 'vae:train' });
  await page.waitForFunction(() => metrics.some((m) => m.step >= 20 && m.training), null, { timeout: 120_000 });
  await post({ type: 'vae:pause' });
  await page.waitForFunction(() => metrics.length && metrics.at(-1).training === false, null, { timeout: 60_000 });
  const last = await page.evaluate(() => metrics.at(-1));
  assert.ok(Number.isFinite(last.kl) && Number.isFinite(last.recon), JSON.stringify(last));
  assert.ok(Math.abs(last.elbo - (last.kl + last.recon)) < 1e-6 * last.elbo);
  assert.deepEqual(last.z, [-1.25, 2]);
  assert.equal(await ignored(f), 7);
  await page.close();
});

test('host API: ready once, hyperparameters reach the trainer, metrics at most 10 a second until unsubscribed, dataset', { timeout: 300_000 }, async (t) => {
  const host = await serveHost();
  t.after(host.close);
  const page = await browser.newPage();
  const post = (msg) => host.post(page, msg);
  const received = (type) => page.evaluate((type) => got.filter((m) => m.data?.type === type), type);
  const search = () => f.evaluate(() => location.search);
  const input = (id) => f.locator(`[data-testid=${id}]`).inputValue();
  const legend = () => f.locator('.legend').textContent();
  // Everything the frame posted before this returns has reached the host: a message of the
  // frame's own window, after its earlier ones (messages from one window arrive in order).
  const fence = async () => {
    const mark = Math.random();
    await f.evaluate((mark) => parent.postMessage({ type: 'fence', mark }, '*'), mark);
    await page.waitForFunction((mark) => got.some((m) => m.data?.mark === mark), mark);
    return (await received('vae:metrics')).length;
  };

  // Starting on Fashion-MNIST, so that ready's dataset is not the default.
  const f = await host.open(page, `${server.url}?embed&panels=sliders,decoded,map,controls,metrics&dataset=fashion&host=${host.origin}`);
  await page.waitForFunction(() => got.some((m) => m.data?.type === 'vae:ready'), null, { timeout: 60_000 });
  const [ready] = await received('vae:ready');
  assert.deepEqual(ready.data, { type: 'vae:ready', dataset: 'fashion' });
  assert.equal(ready.origin, new URL(server.url).origin);
  assert.match(await legend(), /Trouser/);

  // Hyperparameters show in the frame's settings and address bar...
  assert.equal(await input('beta'), '1');
  await post({ type: 'vae:set-hyperparameters', lr: 10, beta: 2.5 });
  await f.waitForFunction(() => document.querySelector('[data-testid=beta]').value === '2.5');
  assert.equal(await input('lr'), '10');
  await f.waitForFunction(() => /[?&]beta=2\.5(&|$)/.test(location.search) && /[?&]lr=10(&|$)/.test(location.search));

  // Subscribing sends the metrics now: nothing trained yet.
  await post({ type: 'vae:subscribe' });
  await page.waitForFunction(() => metrics.length === 1);
  assert.deepEqual(await page.evaluate(() => metrics[0]), {
    type: 'vae:metrics', step: 0, epoch: 0, kl: null, recon: null, elbo: null, training: false, dataset: 'fashion', z: [0, 0], slowmo: null,
  });

  // ...and reach the trainer: a learning rate of 10 diverges, is caught and explained, and the
  // pause is posted.
  await post({ type: 'vae:train' });
  await f.locator('[data-testid=notice]').waitFor({ timeout: 120_000 });
  assert.match(await f.locator('[data-testid=notice]').textContent(), /diverged.*learning rate of 0\.001/s);
  await page.waitForFunction(() => metrics.length > 1 && metrics.at(-1).training === false, null, { timeout: 30_000 });

  // Only the learning rate: β stays.
  await post({ type: 'vae:set-hyperparameters', lr: 0.002 });
  await f.waitForFunction(() => document.querySelector('[data-testid=lr]').value === '0.002');
  assert.equal(await input('beta'), '2.5');
  await f.waitForFunction(() => /[?&]lr=0\.002(&|$)/.test(location.search));
  assert.match(await search(), /[?&]beta=2\.5(&|$)/);

  // Metrics while training: the train worker reports every ~100 ms chunk (up to 10 a second),
  // the host gets at most 10 a second.
  const from = await fence();
  await post({ type: 'vae:train' });
  // However slowly a loaded machine trains, wait for a few (the bound below is on the rate).
  await page.waitForFunction((from) => metrics.slice(from).filter((m) => m.training).length >= 6, from, { timeout: 60_000 });
  const during = (await received('vae:metrics')).slice(from).filter((m) => m.data.training);
  const span = during.at(-1).t - during[0].t;
  assert.ok(during.length >= 5, `metrics flow while training (${during.length} in ${span.toFixed(0)} ms)`);
  assert.ok(during.length <= span / 100 + 2, `at most 10 a second: ${during.length} in ${span.toFixed(0)} ms`);
  for (let i = 1; i < during.length; i++) assert.ok(during[i].data.step > during[i - 1].data.step, 'each after a chunk');

  // Unsubscribed: no more metrics while the frame goes on training, nor on pause.
  await post({ type: 'vae:unsubscribe' });
  await post({ type: 'vae:set-z', z: [0.5, 0.5] });
  await f.waitForFunction(() => Number(document.querySelector('[data-testid=z1]').value) === 0.5);
  const unsubscribed = await fence();
  const step = Number(await f.locator('[data-testid=metric-step]').textContent());
  await f.waitForFunction((s) => Number(document.querySelector('[data-testid=metric-step]').textContent) >= s + 15, step, { timeout: 60_000 });
  assert.equal(await fence(), unsubscribed, 'no metrics after unsubscribing');
  await post({ type: 'vae:pause' });
  await f.waitForFunction(() => document.querySelector('[data-testid=playground]').dataset.trainerBusy === 'false', null, { timeout: 60_000 });
  assert.equal(await fence(), unsubscribed, 'no metrics on pause either');

  // Dataset: the legend, the select, the address bar and the model follow.
  const fashion = await settledPixels(f);
  await post({ type: 'vae:set-dataset', dataset: 'mnist' });
  await f.waitForFunction(() => !/Trouser/.test(document.querySelector('.legend').textContent), null, { timeout: 60_000 });
  assert.match(await legend(), /^0\s*1\s*2/);
  assert.equal(await input('dataset'), 'mnist');
  await f.waitForFunction(() => !/dataset=/.test(location.search));
  await f.waitForFunction(() => document.querySelector('[data-testid=metric-step]').textContent === '0');
  assert.notDeepEqual(await settledPixels(f), fashion, 'the MNIST model decodes z');
  await post({ type: 'vae:subscribe' });
  await page.waitForFunction((n) => metrics.length > n, unsubscribed);
  const now = await page.evaluate(() => metrics.at(-1));
  assert.equal(now.dataset, 'mnist');
  assert.equal(now.step, 0);
  assert.equal((await received('vae:ready')).length, 1, 'ready is posted once');
  assert.equal(Number((await playground(f)).ignoredMessages), 0);
  await page.close();
});

test('the example article drives its embedded playgrounds', async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const off = offOrigin(page, new URL(server.url).origin);
  await page.goto(`${server.url}examples/blog-post.html`);
  const frame = async (id) => {
    // The frames load lazily: the article's later ones only once scrolled to.
    await page.locator(`#${id}`).scrollIntoViewIfNeeded();
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

test('the example article: its steps drive the maths frame (training, the decoder) and start a β sweep', async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${server.url}examples/blog-post.html`);
  // The article's formulas are MathML, typeset by the browser.
  assert.ok(await page.evaluate(() => document.querySelectorAll('article math[display=block]').length >= 5));
  // A frame scrolled to (they load lazily) once its whole model is in.
  const ready = async (id, shown) => {
    await page.locator(`#${id}`).scrollIntoViewIfNeeded();
    const f = await (await page.waitForSelector(`#${id}`)).contentFrame();
    await f.waitForSelector(shown, { timeout: 60_000 });
    return f;
  };
  let bound = await ready('bound', '[data-testid=example-3]');
  // "Train that frame for 300 steps": the maths panel gains the batch's line.
  await page.click('a[data-frame=bound][data-command=train]');
  await bound.waitForFunction(() => document.querySelector('[data-testid=maths-panel]').dataset.batchKl, null, { timeout: 120_000 });
  // "σₓ = 0.1": the frame reloads with a Gaussian decoder; an inspected image splits its term.
  await page.click('a[data-params="decoder=gaussian&sigma=0.1"]');
  await page.waitForFunction(() => document.getElementById('bound').src.endsWith('?embed&panels=inspect,maths&decoder=gaussian&sigma=0.1'));
  bound = await ready('bound', '[data-testid=example-3]');
  await bound.click('[data-testid=example-3]');
  await bound.waitForFunction(() => document.querySelector('[data-testid=maths-panel] .v-constant'), null, { timeout: 60_000 });
  // The sweep button posts `vae:sweep` to the chart's frame, which starts its first run.
  const trainer = await ready('trainer', '[data-testid=decoded-panel][data-preview=false]');
  const runs = Number(await trainer.locator('[data-testid=loss-chart]').getAttribute('data-runs'));
  await page.click('button[data-sweep]');
  await trainer.waitForFunction((n) => Number(document.querySelector('[data-testid=loss-chart]').dataset.runs) > n, runs, { timeout: 120_000 });
  assert.equal(Number(await trainer.locator('[data-testid=playground]').getAttribute('data-ignored-messages')), 0);
  assert.deepEqual(errors, []);
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
