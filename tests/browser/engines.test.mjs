// The suite's core, in every engine (tests/browser/engines.mjs): load, sliders, the latent map,
// training on the CPU path in the train worker, the chart, the inspector in the compute worker,
// drawing, the weights file round trip, remembering, URL state, and an embed driven by a host.
// The rest of the suite runs in Chromium alone. VAE_ENGINES=firefox runs one engine's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { serve } from './harness.mjs';
import { ENGINES, engineVersion, launchEngine } from './engines.mjs';

let server;
before(async () => { server = await serve(); });
after(() => server.close());

/** The decoded canvas' red channel. */
const pixels = (tab) => tab.eval(() => Array.from(document.querySelector('[data-testid=decoded]').getContext('2d').getImageData(0, 0, 28, 28).data.filter((_, i) => i % 4 === 0)));
const text = (tab, id) => tab.eval((id) => document.querySelector(`[data-testid=${id}]`).textContent.trim(), id);
const value = (tab, id) => tab.eval((id) => document.querySelector(`[data-testid=${id}]`).value, id);
const step = async (tab) => Number(await text(tab, 'metric-step'));

/** Wait for the first painted image: opaque, with some ink. */
const firstImage = (tab) => tab.waitFor(() => {
  const c = document.querySelector('[data-testid=decoded]');
  if (!c) return false;
  const d = c.getContext('2d').getImageData(0, 0, 28, 28).data;
  for (let i = 0; i < d.length; i += 4) if (d[i + 3] === 255 && d[i] < 250) return true;
  return false;
}, null, { what: 'the first image' });

/** The pixels of the whole current model once painted (not the preview's, not an old model's). */
async function settled(tab) {
  await tab.waitFor(() => {
    const p = document.querySelector('[data-testid=decoded-panel]');
    return p && p.dataset.modelVersion === p.dataset.shownVersion && p.dataset.preview === 'false';
  }, null, { what: 'the whole model painted' });
  await tab.eval(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  return pixels(tab);
}

/** Wait until the latent map shows the test images' means (coloured dots on white). */
const mapPainted = (tab) => tab.waitFor(() => {
  const d = document.querySelector('[data-testid=latent-map]').getContext('2d').getImageData(0, 0, 360, 360).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) if (Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 60) n++;
  return n > 500;
}, null, { what: 'the latent map painted' });

/** Set a range input as a user's drag does, firing `input`. */
const setSlider = (tab, id, v) => tab.eval(([id, v]) => {
  const el = document.querySelector(`[data-testid=${id}]`);
  el.value = String(v);
  el.dispatchEvent(new Event('input', { bubbles: true }));
}, [id, v]);

const enabled = (tab, id) => tab.waitFor((id) => { const b = document.querySelector(`[data-testid=${id}]`); return b && !b.disabled; }, id, { what: `${id} enabled` });

async function stepTimes(tab, n) {
  await enabled(tab, 'step');
  const from = await step(tab);
  for (let k = 1; k <= n; k++) {
    await tab.click('[data-testid=step]');
    await tab.waitFor((s) => Number(document.querySelector('[data-testid=metric-step]').textContent) === s, from + k, { timeout: 120_000, what: `step ${from + k}` });
  }
}

async function noErrors(tab) {
  assert.deepEqual(await tab.errors(), [], `${tab.engine}: no page errors`);
}

for (const engine of ENGINES) {
  const version = engineVersion(engine);
  let browser;
  const open = async (url, size) => { const tab = await browser.open(url, size); await firstImage(tab); return tab; };

  test(`${version}: set-up`, async () => { browser = await launchEngine(engine); });

  test(`${version}: first image, sliders, latent map click and drag`, async () => {
    const tab = await open(server.url);
    try {
      assert.match(await text(tab, 'backend'), /CPU|WebGPU/);
      const before = await settled(tab);
      await setSlider(tab, 'z1', 2.5);
      await tab.waitFor(() => document.querySelector('[data-testid=z1-value]').textContent === '+2.50');
      assert.notDeepEqual(await settled(tab), before, 'z1 changes the image');
      await mapPainted(tab);
      // A click in the map's top-left quadrant: z1 < 0, z2 > 0 (the whole map is ±4).
      await tab.pointer('[data-testid=latent-map]', [[0.25, 0.25]]);
      await tab.waitFor(() => Number(document.querySelector('[data-testid=z1]').value) < -1.5, null, { what: 'the click to move z' });
      const [z1, z2] = [Number(await value(tab, 'z1')), Number(await value(tab, 'z2'))];
      assert.ok(Math.abs(z1 + 2) < 0.25 && Math.abs(z2 - 2) < 0.25, `click: z = (${z1}, ${z2})`);
      // A drag follows the pointer to where it is let go.
      await tab.pointer('[data-testid=latent-map]', [[0.5, 0.5], [0.6, 0.6], [0.7, 0.7], [0.75, 0.75]]);
      await tab.waitFor(() => Number(document.querySelector('[data-testid=z1]').value) > 1.5, null, { what: 'the drag to move z' });
      const [d1, d2] = [Number(await value(tab, 'z1')), Number(await value(tab, 'z2'))];
      assert.ok(Math.abs(d1 - 2) < 0.25 && Math.abs(d2 + 2) < 0.25, `drag: z = (${d1}, ${d2})`);
      await noErrors(tab);
    } finally { await tab.close(); }
  });

  test(`${version}: trains on the CPU path in the train worker; the chart gains points; the inspector answers from the compute worker`, async () => {
    const tab = await open(server.url);
    try {
      if (/WebGPU/.test(await text(tab, 'backend'))) {
        await tab.eval(() => { const s = document.querySelector('[data-testid=backend-select]'); s.value = 'cpu'; s.dispatchEvent(new Event('change', { bubbles: true })); });
        await tab.waitFor(() => /CPU/.test(document.querySelector('[data-testid=backend]').textContent), null, { what: 'the CPU backend' });
      }
      await enabled(tab, 'train');
      await tab.click('[data-testid=train]');
      await tab.waitFor(() => Number(document.querySelector('[data-testid=metric-step]').textContent) >= 30, null, { timeout: 120_000, what: 'step 30' });
      await tab.click('[data-testid=train]');
      await tab.waitFor(() => document.querySelector('[data-testid=playground]').dataset.trainerBusy === 'false', null, { timeout: 120_000, what: 'the pause' });
      assert.match(await text(tab, 'backend'), /CPU/);
      const [kl, recon, speed] = [Number(await text(tab, 'metric-kl')), Number(await text(tab, 'metric-recon')), Number(await text(tab, 'metric-speed'))];
      assert.ok(kl > 0 && recon > 0 && Number.isFinite(kl + recon), `KL ${kl}, recon ${recon}`);
      assert.ok(speed > 0, `images/s ${speed}`);
      const points = await tab.eval(() => Number(document.querySelector('[data-testid=loss-chart]').dataset.points));
      assert.ok(points >= 2, `chart points ${points}`);

      await tab.click('[data-testid=example-3]');
      await tab.waitFor(() => document.querySelector('[data-testid=inspect-panel]')?.dataset.inspected === 'true', null, { what: 'the inspector' });
      assert.equal(await tab.eval(() => document.querySelector('[data-testid=inspect-panel]').dataset.compute), 'worker');
      for (const k of ['logpx', 'elbo', 'gap']) {
        const n = Number(await text(tab, `ev-${k}`));
        assert.ok(Number.isFinite(n), `${k}: ${n}`);
      }
      await noErrors(tab);
    } finally { await tab.close(); }
  });

  test(`${version}: a drawn digit becomes the inspected input`, async () => {
    const tab = await open(server.url);
    try {
      // Drawn once the page is idle: WebKitGTK's driver loses pointer events dispatched while
      // the page's thread is busy (building the whole model, encoding the map). A digit drawn
      // over the preview is inspected once the model is in: tests/page_state.rs checks that.
      await settled(tab);
      await mapPainted(tab);
      await tab.pointer('[data-testid=draw-pad]', Array.from({ length: 13 }, (_, k) => [0.5, 0.15 + k * 0.06]));
      await tab.waitFor(() => document.querySelector('[data-testid=inspect-panel]')?.dataset.inspected === 'true', null, { what: 'the drawing inspected' });
      const label = await tab.eval(() => document.querySelector('[data-testid=inspect-input]').getAttribute('aria-label'));
      assert.match(label, /your drawing/);
      const ink = await tab.eval(() => Array.from(document.querySelector('[data-testid=inspect-input]').getContext('2d').getImageData(0, 0, 28, 28).data).filter((v, i) => i % 4 === 0 && v < 128).length);
      assert.ok(ink > 10, `ink pixels in the 28×28 input: ${ink}`);
      await noErrors(tab);
    } finally { await tab.close(); }
  });

  test(`${version}: the downloaded weights load back to the same image, and the model is remembered across a reload`, async () => {
    const tab = await open(server.url);
    try {
      await stepTimes(tab, 2);
      await setSlider(tab, 'z1', 1.25);
      const trained = await settled(tab);
      // The page's download is an <a download> click on a blob: URL; keep the blob instead of
      // saving it (the CSP allows no fetch of blob: URLs), then choose it in the file input as a
      // user would pick the saved file.
      await tab.eval(() => {
        const blobUrl = URL.createObjectURL;
        URL.createObjectURL = (blob) => { window.__blob = blob; return blobUrl(blob); };
        HTMLAnchorElement.prototype.click = function () { window.__download = { name: this.download, blob: window.__blob }; };
      });
      await tab.click('[data-testid=download]');
      assert.equal(await tab.eval(() => window.__download?.name), 'vae-mnist-h512-step2.vaew');
      await tab.click('[data-testid=restore]');
      await tab.waitFor(() => document.querySelector('[data-testid=metric-step]').textContent === '0', null, { what: 'the restore' });
      assert.notDeepEqual(await settled(tab), trained);
      await tab.eval(async () => {
        const input = document.querySelector('[data-testid=load-weights]');
        const files = new DataTransfer();
        files.items.add(new File([window.__download.blob], window.__download.name));
        input.files = files.files;
        input.dispatchEvent(new Event('change', { bubbles: true }));
      });
      await tab.waitFor(() => document.querySelector('[data-testid=metric-step]').textContent === '2', null, { what: 'the loaded file' });
      assert.deepEqual(await settled(tab), trained, 'the loaded weights decode the same');

      // Remembered in IndexedDB: a reload comes back to step 2 and the same image.
      await tab.waitFor(() => /step 2/.test(document.querySelector('[data-testid=remembered]').textContent), null, { what: 'remembered' });
      await tab.reload();
      await tab.waitFor(() => document.querySelector('[data-testid=metric-step]')?.textContent === '2', null, { what: 'restored after reload' });
      assert.match(await text(tab, 'status'), /Restored/);
      assert.deepEqual(await settled(tab), trained);
      await noErrors(tab);
    } finally { await tab.close(); }
  });

  test(`${version}: a phone-sized window (390 × 844): one column, no sideways scrolling`, async () => {
    const tab = await open(server.url, { width: 390, height: 844 });
    try {
      await settled(tab);
      const layout = await tab.eval(() => ({
        overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        width: document.documentElement.clientWidth,
        lefts: [...new Set([...document.querySelectorAll('.panel')].map((p) => Math.round(p.getBoundingClientRect().left)))],
      }));
      // MiniBrowser's window will not shrink below its toolbar's width: about 450 px of page.
      assert.ok(layout.width <= (engine === 'webkit' ? 460 : 390) && layout.width > 300, `viewport ${layout.width} px`);
      assert.equal(layout.overflow, 0, 'no sideways scrolling');
      assert.equal(layout.lefts.length, 1, `one column: panel left edges ${layout.lefts}`);
      await noErrors(tab);
    } finally { await tab.close(); }
  });

  test(`${version}: a shared link restores the view, and the address bar follows`, async () => {
    const tab = await open(`${server.url}?dataset=fashion&beta=2.5&batch=64&seed=7&z=1.5,-0.5`);
    try {
      assert.equal(await value(tab, 'dataset'), 'fashion');
      assert.equal(await value(tab, 'beta'), '2.5');
      assert.equal(await value(tab, 'batch'), '64');
      assert.equal(await value(tab, 'seed'), '7');
      assert.equal(Number(await value(tab, 'z1')), 1.5);
      await tab.waitFor(() => /Trouser/.test(document.querySelector('.legend')?.textContent ?? ''), null, { what: 'Fashion-MNIST' });
      await setSlider(tab, 'z2', 2.25);
      await tab.waitFor(() => /z=1.5,2.25/.test(location.search), null, { what: 'the address bar' });
      await noErrors(tab);
    } finally { await tab.close(); }
  });

  test(`${version}: embedded in another origin's page: ready, driven by the host, reports metrics and its height`, async () => {
    const host = await serveHostPage();
    const src = `${server.url}?embed&panels=sliders,decoded,metrics&host=${host.origin}`;
    const tab = await browser.open(`${host.origin}/?src=${encodeURIComponent(src)}`);
    try {
      await tab.waitFor(() => window.got?.some((m) => m.type === 'vae:ready'), null, { what: 'vae:ready' });
      await tab.waitFor(() => window.got.some((m) => m.type === 'vae:resize' && m.height > 100), null, { what: 'vae:resize' });
      await tab.eval(() => {
        const w = document.getElementById('f').contentWindow;
        // Metrics go out on subscribing and while training: set z first.
        w.postMessage({ type: 'vae:set-z', z: [-1.25, 2] }, '*');
        w.postMessage({ type: 'vae:subscribe' }, '*');
      });
      await tab.waitFor(() => window.got.some((m) => m.type === 'vae:metrics' && m.z[0] === -1.25 && m.z[1] === 2), null, { what: 'metrics after set-z' });
      assert.equal(await tab.eval(() => window.got.filter((m) => m.type === 'vae:ready').length), 1);
      assert.deepEqual(await tab.eval(() => window.origins), [server.origin]);
      await noErrors(tab);
    } finally { await tab.close(); host.close(); }
  });

  test(`${version}: WebGPU where the engine offers it, training as the CPU does step for step`, async () => {
    const gpuBrowser = await launchEngine(engine, { webgpu: true });
    try {
      const read = (tab) => Promise.all(['metric-elbo', 'metric-kl', 'metric-recon'].map(async (id) => Number(await text(tab, id))));
      const gpuTab = await gpuBrowser.open(server.url);
      await firstImage(gpuTab);
      await settled(gpuTab);
      const offered = await gpuTab.eval(async () => Boolean(navigator.gpu && await navigator.gpu.requestAdapter()));
      if (!offered) {
        // Nothing to use: the CPU, with no WebGPU choice and no complaint.
        assert.match(await text(gpuTab, 'backend'), /CPU/);
        assert.equal(await gpuTab.eval(() => document.querySelector('[data-testid=backend-select] option[value=gpu]')), null);
        await noErrors(gpuTab);
        return;
      }
      assert.match(await text(gpuTab, 'backend'), /WebGPU/);
      await stepTimes(gpuTab, 3);
      const onGpu = await read(gpuTab);
      await noErrors(gpuTab);
      await gpuTab.close();
      // The same pretrained weights and seed on the CPU, chosen before the first step.
      const cpuTab = await gpuBrowser.open(server.url);
      await firstImage(cpuTab);
      await settled(cpuTab);
      await cpuTab.eval(() => { const s = document.querySelector('[data-testid=backend-select]'); s.value = 'cpu'; s.dispatchEvent(new Event('change', { bubbles: true })); });
      await cpuTab.waitFor(() => /CPU/.test(document.querySelector('[data-testid=backend]').textContent), null, { what: 'the CPU backend' });
      await stepTimes(cpuTab, 3);
      const onCpu = await read(cpuTab);
      await cpuTab.close();
      for (let j = 0; j < 3; j++) assert.ok(Math.abs(onGpu[j] - onCpu[j]) <= 1e-3 * Math.abs(onCpu[j]) + 0.01, `after 3 steps: WebGPU ${onGpu}, CPU ${onCpu}`);
    } finally { await gpuBrowser.close(); }
  });

  test(`${version}: close`, async () => { await browser?.close(); });
}

/** A host page on `localhost` (another origin than the playground's 127.0.0.1) that frames
 *  `?src=` and keeps what the frame posts in `window.got` and the senders in `window.origins`. */
async function serveHostPage() {
  const html = `<!doctype html><script>window.got = []; window.origins = [];
    addEventListener('message', (e) => { got.push(e.data); if (!origins.includes(e.origin)) origins.push(e.origin); });
    addEventListener('DOMContentLoaded', () => {
      const f = document.createElement('iframe');
      f.id = 'f'; f.width = 600; f.height = 400;
      f.src = new URLSearchParams(location.search).get('src');
      document.body.append(f);
    });</script>`;
  const s = createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(html); });
  await new Promise((ok) => s.listen(0, '127.0.0.1', ok));
  return { origin: `http://localhost:${s.address().port}`, close: () => s.close() };
}
