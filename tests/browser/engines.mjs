// One way to drive each of the three browser engines, so a test can run in all of them:
// Chromium through Playwright (as the rest of the suite), Firefox (Gecko) through puppeteer-core
// over WebDriver BiDi, WebKit (WebKitGTK's MiniBrowser) through WebKitWebDriver's classic
// WebDriver HTTP API under a virtual display. Each gives a `Tab` with the same few methods.
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { launch as launchChromium } from './harness.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(join(root, 'tools/package.json'));

/** The engines a run covers: all three, or those named in VAE_ENGINES (comma-separated). */
export const ENGINES = (process.env.VAE_ENGINES ?? 'chromium,firefox,webkit').split(',').map((s) => s.trim()).filter(Boolean);

const FIREFOX = '/usr/bin/firefox-esr';
const MINIBROWSER = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

/** The engine's name and version, as a test title shows it. */
export function engineVersion(engine) {
  const run = (cmd, args) => execFileSync(cmd, args, { encoding: 'utf8' }).trim();
  if (engine === 'chromium') return run('/usr/bin/chromium', ['--version']).replace(/^Chromium\s+/, 'Chromium ').split(' ').slice(0, 2).join(' ');
  if (engine === 'firefox') return run(FIREFOX, ['--version']).replace(/^Mozilla Firefox/, 'Firefox');
  const lib = run('dpkg-query', ['-W', '-f=${Version}', 'libwebkit2gtk-4.1-0']);
  return `WebKitGTK ${lib.split('-')[0]}`;
}

/** Launch `engine`; `open(url, {width, height})` gives a Tab. Close it when done. `webgpu`
 *  turns on what the engine has: Chromium's software adapter (SwiftShader), Firefox's WebGPU
 *  (behind a pref on Linux; on Mesa's lavapipe here). WebKitGTK has none. */
export async function launchEngine(engine, { webgpu = false } = {}) {
  if (engine === 'chromium') return chromiumEngine(webgpu);
  if (engine === 'firefox') return firefoxEngine(webgpu);
  if (engine === 'webkit') return webkitEngine();
  throw new Error(`unknown engine ${engine}`);
}

/** Errors the page itself reports, for engines whose driver shows no console: installed after
 *  each navigation, so it sees what happens from then on. */
const CAPTURE_ERRORS = `if (!window.__errors) {
  window.__errors = [];
  addEventListener('error', (e) => __errors.push(String(e.message || e)));
  addEventListener('unhandledrejection', (e) => __errors.push('unhandled rejection: ' + String(e.reason)));
  const error = console.error.bind(console);
  console.error = (...a) => { __errors.push(a.map(String).join(' ')); error(...a); };
}`;

/** Polls `tab.eval(fn, arg)` until it is truthy; the timeout's message says what was awaited.
 *  `fn` must return plain data: a DOM node does not cross every driver (puppeteer's BiDi gives
 *  undefined for one), so test for it with `!!` or a property. */
async function poll(tab, fn, arg, { timeout = 60_000, what = String(fn).slice(0, 120) } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await tab.eval(fn, arg);
    if (v) return v;
    if (Date.now() > end) throw new Error(`${tab.engine}: timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

/** The centre of `selector`'s element in viewport pixels, scrolled into view first, and its size. */
function box(tab, selector) {
  return tab.eval((s) => {
    const el = document.querySelector(s);
    el.scrollIntoView({ block: 'center', inline: 'center' });
    const r = el.getBoundingClientRect();
    return { x: r.left, y: r.top, width: r.width, height: r.height };
  }, selector);
}

/** A Tab over a Playwright or puppeteer page: the two share these methods' shapes. */
async function pageTab(engine, page, url, close) {
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  return {
    engine,
    goto: (u) => page.goto(u),
    reload: () => page.reload(),
    eval: (fn, arg) => page.evaluate(fn, arg),
    waitFor(fn, arg, opts) { return poll(this, fn, arg, opts); },
    async click(selector) { await box(this, selector); await page.click(selector); },
    async pointer(selector, path) {
      const b = await box(this, selector);
      const at = ([fx, fy]) => [b.x + fx * b.width, b.y + fy * b.height];
      await page.mouse.move(...at(path[0]));
      await page.mouse.down();
      for (const p of path.slice(1)) await page.mouse.move(...at(p));
      await page.mouse.up();
    },
    errors: async () => errors,
    close,
  };
}

async function chromiumEngine(webgpu) {
  const browser = await launchChromium({ webgpu });
  return {
    engine: 'chromium',
    async open(url, { width = 1280, height = 900 } = {}) {
      const page = await browser.newPage({ viewport: { width, height } });
      return pageTab('chromium', page, url, () => page.close());
    },
    close: () => browser.close(),
  };
}

async function firefoxEngine(webgpu) {
  const puppeteer = require('puppeteer-core');
  const extraPrefsFirefox = webgpu ? { 'dom.webgpu.enabled': true, 'dom.webgpu.workers.enabled': true, 'gfx.webgpu.ignore-blocklist': true } : {};
  const browser = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true, protocol: 'webDriverBiDi', extraPrefsFirefox });
  return {
    engine: 'firefox',
    async open(url, { width = 1280, height = 900 } = {}) {
      // A context of its own, as each Playwright page has: no storage shared between tabs.
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      await page.setViewport({ width, height });
      return pageTab('firefox', page, url, () => context.close());
    },
    close: () => browser.close(),
  };
}

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
    s.on('error', fail);
  });
}

/** WebKitWebDriver (classic WebDriver over HTTP) in its own virtual display. */
async function webkitEngine() {
  const port = await freePort();
  // Its own process group, so closing takes Xvfb down with the driver and the browser.
  const driver = spawn('xvfb-run', ['-a', '-s', '-screen 0 1920x1200x24', 'WebKitWebDriver', `--port=${port}`], { stdio: 'ignore', detached: true });
  const base = `http://127.0.0.1:${port}`;
  const call = async (method, path, body) => {
    const res = await fetch(base + path, { method, headers: { 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
    const json = await res.json();
    if (json.value && json.value.error) throw new Error(`WebKitWebDriver ${method} ${path}: ${json.value.error}: ${json.value.message}`);
    return json.value;
  };
  for (let tries = 0; ; tries++) {
    try { await call('GET', '/status'); break; } catch (e) {
      if (tries > 100) throw new Error(`WebKitWebDriver did not start: ${e.message}`);
      await new Promise((ok) => setTimeout(ok, 100));
    }
  }
  const stop = () => { try { process.kill(-driver.pid, 'SIGTERM'); } catch { /* gone already */ } };
  return {
    engine: 'webkit',
    async open(url, { width = 1280, height = 900 } = {}) {
      const { sessionId } = await call('POST', '/session', {
        capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] } } },
      });
      const s = `/session/${sessionId}`;
      await call('POST', `${s}/window/rect`, { width, height });
      const tab = {
        engine: 'webkit',
        async goto(u) { await call('POST', `${s}/url`, { url: u }); await tab.eval(new Function(CAPTURE_ERRORS)); },
        async reload() { await call('POST', `${s}/refresh`, {}); await tab.eval(new Function(CAPTURE_ERRORS)); },
        // The W3C "execute script" awaits a returned promise, so async functions work as elsewhere.
        eval: (fn, arg) => call('POST', `${s}/execute/sync`, { script: `return (${fn})(arguments[0]);`, args: [arg ?? null] }),
        waitFor(fn, arg, opts) { return poll(tab, fn, arg, opts); },
        async click(selector) {
          await box(tab, selector);
          const el = await call('POST', `${s}/element`, { using: 'css selector', value: selector });
          await call('POST', `${s}/element/${Object.values(el)[0]}/click`, {});
        },
        async pointer(selector, path) {
          const b = await box(tab, selector);
          const at = ([fx, fy]) => ({ x: Math.round(b.x + fx * b.width), y: Math.round(b.y + fy * b.height) });
          const actions = [{ type: 'pointerMove', duration: 0, origin: 'viewport', ...at(path[0]) }, { type: 'pointerDown', button: 0 }];
          for (const p of path.slice(1)) actions.push({ type: 'pointerMove', duration: 20, origin: 'viewport', ...at(p) });
          actions.push({ type: 'pointerUp', button: 0 });
          await call('POST', `${s}/actions`, { actions: [{ type: 'pointer', id: 'mouse', parameters: { pointerType: 'mouse' }, actions }] });
          await call('DELETE', `${s}/actions`);
        },
        errors: () => tab.eval(() => window.__errors ?? []),
        close: () => call('DELETE', s).catch(() => {}),
      };
      await tab.goto(url);
      return tab;
    },
    async close() { stop(); },
  };
}
