// Embeds that fit: the embed code the share panel hands out, on a host page of another origin,
// at frame widths from 320 to 1100 px; the example article's frames; who hears vae:resize.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { serve, launch } from './harness.mjs';

const ALL = ['sliders', 'decoded', 'map', 'controls', 'metrics', 'chart', 'inspect', 'maths', 'runs'];
// Each panel alone, the two panels that share a box with another, the share panel's default,
// the example article's two, and all of them: every box the embed code's height is made of
// (share::embed_height), and its row shapes. Not all 511 sets: 16 frames take half a minute
// here, all of them three minutes of CI.
const COMBOS = [
  ...ALL.map((p) => [p]), ['decoded', 'sliders'], ['controls', 'metrics'],
  ['decoded', 'sliders', 'map'], ['decoded', 'metrics', 'chart'], ['chart', 'runs'], ALL,
];
const WIDTHS = [320, 390, 600, 1100];
// What marks each panel in the frame.
const MARK = {
  sliders: '[data-testid=z1]', decoded: '[data-testid=decoded]', map: '[data-testid=latent-map]',
  controls: '[data-testid=train]', metrics: '[data-testid=metric-step]', chart: '[data-testid=loss-chart]',
  inspect: '[data-testid=inspect-panel]', maths: '[data-testid=maths-panel]', runs: '.runs-alone',
  slowmo: '[data-testid=slowmo-panel]',
};

let server;
let host;
let browser;
before(async () => {
  server = await serve();
  // Host pages come from another origin (another port): html by path.
  const pages = new Map();
  const http = createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(pages.get(req.url) ?? ''); });
  await new Promise((ok) => http.listen(0, '127.0.0.1', ok));
  const origin = `http://localhost:${http.address().port}`;
  host = { origin, put: (path, html) => { pages.set(path, html); return `${origin}${path}`; }, close: () => http.close() };
  browser = await launch();
});
after(async () => {
  await browser.close();
  host.close();
  server.close();
});

/** The embed code the share panel gives for `panels`, with the host's origin typed in. */
async function embedCodes(combos) {
  const page = await browser.newPage();
  await page.goto(server.url);
  await page.locator('[data-testid=copy-embed]').waitFor();
  await page.fill('[data-testid=embed-host]', host.origin);
  await page.locator('[data-testid=embed-host]').dispatchEvent('change');
  const codes = [];
  for (const combo of combos) {
    // Tick the wanted ones first: the panel keeps at least one ticked.
    for (const p of combo) await page.setChecked(`[data-testid=embed-panel-${p}]`, true);
    for (const p of ALL.filter((q) => !combo.includes(q))) await page.setChecked(`[data-testid=embed-panel-${p}]`, false);
    await page.click('[data-testid=copy-embed]');
    codes.push(await page.locator('[data-testid=embed-code]').inputValue());
  }
  await page.close();
  return codes;
}

/** Wait until every frame is ready and no frame's height changed for a second (the host
 * script follows vae:resize). */
async function settled(page, frames) {
  if (frames) await page.waitForFunction((n) => window.ready === n, frames, { timeout: 120_000 });
  let last = '';
  for (let calm = 0, t = 0; calm < 5 && t < 100; t++) {
    await page.waitForTimeout(200);
    const now = await page.evaluate(() => [...document.querySelectorAll('iframe')].map((f) => f.getBoundingClientRect().height).join());
    calm = now === last ? calm + 1 : 0;
    last = now;
  }
}

/** What does not fit in a frame: overflow, panels outside the viewport, text under 11 px. */
async function misfits(frame, combo) {
  // Browsers update an off-screen cross-origin frame's viewport only once it is shown.
  const element = await frame.frameElement();
  await element.scrollIntoViewIfNeeded();
  const height = await element.evaluate((el) => el.clientHeight);
  await frame.waitForFunction((h) => innerHeight === h, height, { timeout: 10_000 }).catch(() => {});
  return frame.evaluate(({ combo, MARK }) => {
    const out = [];
    const d = document.documentElement;
    const [vw, vh] = [innerWidth, innerHeight];
    if (d.scrollHeight > vh) out.push(`document ${d.scrollHeight} px tall in a ${vh} px viewport`);
    if (d.scrollWidth > vw) out.push(`document ${d.scrollWidth} px wide in a ${vw} px viewport`);
    for (const p of combo) {
      const el = document.querySelector(MARK[p]);
      if (!el) { out.push(`${p}: missing`); continue; }
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.left < 0 || r.top < 0 || r.right > vw + 0.5 || r.bottom > vh + 0.5) out.push(`${p}: box ${Math.round(r.left)},${Math.round(r.top)}-${Math.round(r.right)},${Math.round(r.bottom)} outside ${vw}x${vh}`);
    }
    // Text as drawn: HTML text at its computed size, SVG text scaled with its drawing.
    for (const el of document.querySelectorAll('body *')) {
      const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      if (!own || !el.getClientRects().length) continue;
      const svg = el.closest('svg');
      const scale = svg ? svg.getBoundingClientRect().width / svg.viewBox.baseVal.width : 1;
      const px = parseFloat(getComputedStyle(el).fontSize) * scale;
      if (px < 11 - 1e-6) { out.push(`text "${el.textContent.trim().slice(0, 20)}" at ${px.toFixed(1)} px`); break; }
    }
    return out;
  }, { combo, MARK });
}

/** A host page with one frame per embed code, each `width` px wide, with or without the script. */
function hostPage(codes, width, script) {
  const frames = codes.map((code) => {
    const frame = code.slice(0, code.indexOf('<script>'));
    assert.ok(frame.includes('style="border:0;width:100%;max-width:600px"') && frame.includes('loading="lazy"'), frame);
    // Every frame loads at once (not lazily) and is exactly `width` wide.
    return frame.replace('style="border:0;width:100%;max-width:600px"', `style="border:0;width:${width}px"`).replace('loading="lazy"', '');
  });
  const hostScript = codes[0].slice(codes[0].indexOf('<script>'));
  // The test's own ear: which frames said they are ready (not the host script).
  const ready = '<script>window.ready = 0; addEventListener("message", (e) => { if (e.data && e.data.type === "vae:ready") ready += 1; });</script>';
  return `<!doctype html><style>body{margin:8px} iframe{display:block;margin-bottom:8px}</style>${ready}\n${frames.join('\n')}\n${script ? hostScript : ''}`;
}

async function framesOf(page, n) {
  await page.waitForFunction((n) => document.querySelectorAll('iframe').length === n, n);
  const frames = [];
  for (const el of await page.$$('iframe')) {
    // A lazy frame loads once it is near the viewport.
    await el.scrollIntoViewIfNeeded();
    const f = await el.contentFrame();
    await f.waitForFunction(() => document.querySelector('[data-testid=playground]'), null, { timeout: 60_000 });
    frames.push(f);
  }
  return frames;
}

test('embed codes fit their frames from 320 to 1100 px wide, the host growing them on vae:resize', { timeout: 600_000 }, async () => {
  const codes = await embedCodes(COMBOS);
  for (const code of codes) {
    assert.match(code, new RegExp(`host=${host.origin.replace(/[.:/]/g, '\\$&')}`), 'the typed origin is a host');
    assert.match(code, /<script>.*vae:resize.*<\/script>/s);
  }
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const problems = [];
  for (const width of WIDTHS) {
    await page.goto(host.put(`/w${width}`, hostPage(codes, width, true)));
    const frames = await framesOf(page, codes.length);
    await settled(page, codes.length);
    for (const [i, f] of frames.entries()) for (const m of await misfits(f, COMBOS[i])) problems.push(`${width} px, ${COMBOS[i]}: ${m}`);
  }
  assert.deepEqual(problems, []);
  await page.close();
});

test('at the embed code\'s own width its height shows every panel, without the host script', { timeout: 300_000 }, async () => {
  const codes = await embedCodes(COMBOS);
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  await page.goto(host.put('/plain', hostPage(codes, 600, false)));
  const frames = await framesOf(page, codes.length);
  await settled(page, codes.length);
  const problems = [];
  for (const [i, f] of frames.entries()) for (const m of await misfits(f, COMBOS[i])) problems.push(`${COMBOS[i]}: ${m}`);
  assert.deepEqual(problems, []);
  await page.close();
});

test('an embed code copied in slow motion opens at its stage, its height showing the panel at every stage', { timeout: 300_000 }, async () => {
  const page = await browser.newPage();
  await page.goto(server.url);
  await page.locator('[data-testid=slowmo]:not([disabled])').waitFor({ timeout: 60_000 });
  await page.click('[data-testid=slowmo]');
  await page.waitForFunction(() => document.querySelector('[data-testid=slowmo-stage]')?.textContent === 'batch drawn', null, { timeout: 120_000 });
  await page.click('[data-testid=slowmo-next]');
  await page.setChecked('[data-testid=embed-panel-map]', true);
  for (const p of ALL.filter((q) => q !== 'map')) await page.setChecked(`[data-testid=embed-panel-${p}]`, false);
  await page.click('[data-testid=copy-embed]');
  const code = await page.locator('[data-testid=embed-code]').inputValue();
  assert.match(code, /slowmo=encode/);
  await page.close();

  // Without the host script the frame keeps the code's height: every stage must fit in it.
  const frameHost = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  await frameHost.goto(host.put('/slowmo', hostPage([code], 600, false)));
  const [frame] = await framesOf(frameHost, 1);
  const problems = [];
  for (const name of ['encoded', 'z sampled', 'decoded', 'loss computed', 'gradient step']) {
    if (name !== 'encoded') await frame.click('[data-testid=slowmo-next]');
    await frame.waitForFunction((n) => document.querySelector('[data-testid=slowmo-stage]')?.textContent === n, name, { timeout: 120_000 });
    await frameHost.waitForTimeout(300);
    for (const m of await misfits(frame, ['slowmo', 'map'])) problems.push(`${name}: ${m}`);
  }
  assert.deepEqual(problems, []);
  await frameHost.close();
});

test('an embed with the chart shows the pretrained run before training, and no instruction it cannot follow', async () => {
  const page = await browser.newPage({ viewport: { width: 600, height: 900 } });
  await page.goto(`${server.url}?embed&panels=decoded,chart`);
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=loss-chart]')?.dataset.points) > 0, null, { timeout: 60_000 });
  assert.equal(await page.locator('[data-testid=loss-chart]').getAttribute('data-pretrained'), 'true');
  assert.match(await page.locator('[data-testid=chart-pretrained]').textContent(), /pretrained model/);
  // Where the curve cannot load the chart is empty: a frame with Train may say to press it,
  // one without says nothing.
  await page.route('**/*.history.csv', (r) => r.abort());
  for (const [panels, hint] of [['decoded,chart', 0], ['controls,chart', 1]]) {
    await page.goto(`${server.url}?embed&panels=${panels}`);
    await page.waitForFunction((ready) => document.querySelector(ready), panels.includes('controls') ? '[data-testid=train]:not([disabled])' : '[data-testid=decoded-panel][data-shown-version]:not([data-shown-version="0"])', { timeout: 60_000 });
    await page.waitForFunction(() => document.querySelector('[data-testid=loss-chart]'));
    await page.waitForTimeout(1500);
    assert.equal(await page.locator('[data-testid=chart-empty]').count(), hint, `${panels}: hint`);
    assert.equal(await page.locator('[data-testid=loss-chart]').getAttribute('data-points'), '0');
  }
  await page.close();
});

test('vae:resize reaches only allowed hosts', async () => {
  const page = await browser.newPage();
  const listen = `<script>window.got = []; addEventListener('message', (e) => got.push(e.data && e.data.type));</script>`;
  for (const [path, allowed] of [['/foreign', false], ['/allowed', true]]) {
    const src = `${server.url}?embed&panels=decoded,sliders${allowed ? `&host=${host.origin}` : ''}`;
    await page.goto(host.put(path, `<!doctype html>${listen}<iframe src="${src}" width=300 height=100></iframe>`));
    const [frame] = await framesOf(page, 1);
    await frame.waitForFunction(() => document.querySelector('[data-testid=decoded-panel]')?.dataset.shownVersion > 0, null, { timeout: 60_000 });
    if (allowed) await page.waitForFunction(() => got.includes('vae:resize') && got.includes('vae:ready'), null, { timeout: 30_000 });
    else await page.waitForTimeout(1500);
    const got = await page.evaluate(() => got);
    assert.equal(got.includes('vae:resize'), allowed, `${path}: ${JSON.stringify(got)}`);
    assert.equal(got.includes('vae:ready'), allowed);
  }
  await page.close();
});

test('the example article: every frame shows all its panels at 390 and 1100 px', async () => {
  const page = await browser.newPage();
  const problems = [];
  for (const width of [390, 1100]) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto(`${server.url}examples/blog-post.html`);
    const frames = await framesOf(page, 4);
    await page.evaluate(() => document.querySelectorAll('iframe').forEach((f) => f.scrollIntoView()));
    // The fourth is slow motion's panel (which an embed shows whatever its panels) above the
    // map, grown once its step is in.
    await frames[3].waitForFunction(() => document.querySelector('[data-testid=slowmo-stage]')?.textContent === 'batch drawn', null, { timeout: 120_000 });
    await settled(page);
    for (const [i, combo] of [['decoded', 'sliders', 'map'], ['inspect', 'maths'], ['metrics', 'chart', 'decoded'], ['slowmo', 'map']].entries()) {
      for (const m of await misfits(frames[i], combo)) problems.push(`${width} px, frame ${i + 1}: ${m}`);
    }
    if (process.env.EMBED_SHOTS) {
      for (const [i, el] of (await page.$$('iframe')).entries()) await el.screenshot({ path: `${process.env.EMBED_SHOTS}/article-${width}-frame${i + 1}.png` });
    }
  }
  assert.deepEqual(problems, []);
  await page.close();
});
