// Shared by the browser tests and the benchmark: serve dist/ on 127.0.0.1 and launch Debian's headless Chromium.
import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join, extname, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(join(root, 'tools/package.json'));
const { chromium } = require('playwright-core');

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm',
  '.css': 'text/css', '.json': 'application/json', '.gz': 'application/octet-stream',
  '.vaew': 'application/octet-stream', '.svg': 'image/svg+xml', '.png': 'image/png',
};

/** Serve `dir` under `prefix` on an ephemeral loopback port. Records every request path. */
export function serve(dir = join(root, 'dist'), prefix = '/') {
  return serveMounts({ [prefix]: dir }, prefix);
}

/** Serve a build of the site (`dist`, default dist/) with the TF.js peer page (bench/tfjs/) beside
 *  it under /tfjs/, with TF.js and the named backends (`wasm`, `webgpu`) from tools/. */
export function serveSiteAndPeer(backends, dist = join(root, 'dist')) {
  const nm = join(root, 'tools/node_modules/@tensorflow');
  if (!existsSync(join(dist, 'index.html'))) throw new Error(`no ${dist}/index.html: run trunk build --release first`);
  if (!existsSync(join(nm, 'tfjs/dist/tf.min.js'))) throw new Error('no TF.js in tools/node_modules: run scripts/setup.sh');
  const mounts = {
    '/': dist,
    '/tfjs/': join(root, 'bench/tfjs'),
    '/tfjs/lib/tfjs/': join(nm, 'tfjs/dist'),
  };
  for (const b of backends) mounts[`/tfjs/lib/${b}/`] = join(nm, `tfjs-backend-${b}/dist`);
  return serveMounts(mounts);
}

/** Serve several folders, each under its URL prefix (the longest matching prefix wins). */
export async function serveMounts(mounts, home = '/') {
  const requests = [];
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    requests.push(url.pathname);
    const prefix = prefixes.find((p) => url.pathname.startsWith(p));
    if (prefix === undefined) { res.writeHead(404); res.end(); return; }
    const dir = resolve(mounts[prefix]);
    let path = join(dir, decodeURIComponent(url.pathname.slice(prefix.length)));
    if (!path.startsWith(dir)) { res.writeHead(403); res.end(); return; }
    try {
      if ((await stat(path)).isDirectory()) path = join(path, 'index.html');
      const body = await readFile(path);
      res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404); res.end();
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  const origin = `http://127.0.0.1:${port}`;
  return { origin, url: `${origin}${home}`, requests, close: () => server.close() };
}

/**
 * A host page for the `postMessage` API, served from another origin of this machine
 * (`localhost` against the playground's `127.0.0.1`; Chromium blocks public origins from
 * framing loopback ones). `open(page, src)` loads a host page framing `src` as `#f`, which
 * records every message it gets in `window.got` ({data, origin, t}) and the metrics' data in
 * `window.metrics`, and resolves to the frame once its first image is painted.
 */
export async function serveHost() {
  let html = '';
  const server = createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(html); });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const origin = `http://localhost:${server.address().port}`;
  let pages = 0;
  return {
    origin,
    async open(page, src) {
      html = `<!doctype html><script>window.got = []; window.metrics = [];
        addEventListener('message', (e) => {
          got.push({ data: e.data, origin: e.origin, t: performance.now() });
          if (e.data && e.data.type === 'vae:metrics') metrics.push(e.data);
        });</script><iframe id=f src="${src}" width=600 height=400></iframe>`;
      pages += 1;
      await page.goto(`${origin}/${pages}`);
      const frame = await (await page.waitForSelector('#f')).contentFrame();
      await frame.waitForFunction(() => document.querySelector('[data-testid=decoded-panel]')?.dataset.shownVersion > 0, null, { timeout: 60_000 });
      return frame;
    },
    /** Post `msg` from the host page to its frame. */
    post: (page, msg) => page.evaluate((m) => document.getElementById('f').contentWindow.postMessage(m, '*'), msg),
    close: () => server.close(),
  };
}

/** Headless Chromium as toolchain.md says it runs here; `webgpu` turns on its software adapter,
 *  and `webgpu: 'hardware'` asks for the machine's GPU through Vulkan instead (Chromium's
 *  documented Linux flags; scripts/gpu-check.sh uses it). */
export async function launch({ webgpu = false } = {}) {
  const args = [
    '--headless', '--no-sandbox', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-default-apps',
  ];
  if (webgpu) args.push('--enable-unsafe-webgpu');
  if (webgpu === 'hardware') {
    args.push('--enable-features=Vulkan,VulkanFromANGLE', '--use-angle=vulkan', '--use-vulkan=native',
      '--ignore-gpu-blocklist', '--disable-vulkan-surface');
  }
  // Playwright gives each launch a fresh temporary profile (--user-data-dir) of its own.
  return chromium.launch({ executablePath: '/usr/bin/chromium', args });
}

/** Open the page and wait for the first decoded image. Collects console errors. */
export async function openPlayground(browser, url, { prepare } = {}) {
  const page = await browser.newPage();
  // Listeners that must see the page from its first request.
  prepare?.(page);
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await page.waitForFunction(() => {
    const c = document.querySelector('[data-testid=decoded]');
    if (!c) return false;
    const d = c.getContext('2d').getImageData(0, 0, 28, 28).data;
    // Painted (opaque) with some ink: an untouched canvas is transparent black.
    for (let i = 0; i < d.length; i += 4) if (d[i + 3] === 255 && d[i] < 250) return true;
    return false;
  }, null, { timeout: 60_000 });
  return { page, errors };
}

/** The decoded canvas' red channel, 784 values. */
export function decodedPixels(page) {
  return page.evaluate(() => {
    const c = document.querySelector('[data-testid=decoded]');
    return Array.from(c.getContext('2d').getImageData(0, 0, 28, 28).data.filter((_, i) => i % 4 === 0));
  });
}

/** The decoded pixels of the current model: waits until the image shown comes from it (and
 *  from the whole model, not the first visit's decoder preview). */
export async function settledPixels(page) {
  await page.waitForFunction(() => {
    const p = document.querySelector('[data-testid=decoded-panel]');
    return p && p.dataset.modelVersion === p.dataset.shownVersion && p.dataset.preview === 'false';
  }, null, { timeout: 60_000 });
  // The canvas is painted by the image component's effect, after the panel's attributes are
  // written: under load the two can straddle a frame (CI once read the preview's pixels here,
  // one grey level off). Two frames later the paint is done.
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  return decodedPixels(page);
}

/** Set a range input as a user would, firing `input`. */
export function setSlider(page, testid, value) {
  return page.evaluate(([id, v]) => {
    const el = document.querySelector(`[data-testid=${id}]`);
    el.value = String(v);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, [testid, value]);
}

export async function text(page, testid) {
  return (await page.locator(`[data-testid=${testid}]`).textContent()).trim();
}

/** Pause training and wait until the train worker has stopped (its last chunk reported). */
export async function pause(page) {
  await page.click('[data-testid=train]');
  await page.waitForFunction(() => document.querySelector('[data-testid=playground]').dataset.trainerBusy === 'false', null, { timeout: 120_000 });
}

/** The train worker's wasm memory in bytes (0 before it started). Its module is built by
 *  wasm-bindgen for workers (`no-modules`): calling `wasm_bindgen()` again gives its exports. */
/** Wait until the page's step read-out reaches `n`. */
export function waitForStep(page, n, timeout = 180_000) {
  return page.waitForFunction((n) => Number(document.querySelector('[data-testid=metric-step]').textContent) >= n, n, { timeout });
}

/** Press Train once it is enabled, and wait until the step read-out reaches `steps`. */
export async function trainUntil(page, steps, timeout = 180_000) {
  await page.locator('[data-testid=train]:not([disabled])').waitFor({ timeout: 60_000 });
  await page.click('[data-testid=train]');
  await waitForStep(page, steps, timeout);
}

/**
 * The page's JS heap still in use after a full garbage collection, in bytes. Sampling
 * `usedJSHeapSize` without collecting reads wherever V8's sawtooth happens to be (tens of MiB
 * apart between two samples); only what survives a collection can show a leak.
 */
export async function retainedHeap(page) {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('HeapProfiler.collectGarbage');
    const { usedSize } = await cdp.send('Runtime.getHeapUsage');
    return usedSize;
  } finally {
    await cdp.detach();
  }
}

export async function trainWorkerMemory(page) {
  const worker = page.workers().find((w) => w.url().includes('train_worker'));
  if (!worker) return 0;
  return worker.evaluate(async () => (await wasm_bindgen()).memory.buffer.byteLength);
}
