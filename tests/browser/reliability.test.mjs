// Faults and hostile conditions in headless Chromium: the CSP holds and nothing leaves the
// origin; a diverging run is caught and undone; a lost GPU falls back to the CPU; memory stays
// bounded while training (the long version is tests/browser/soak.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPlayground, settledPixels, text, pause, trainUntil, waitForStep, trainWorkerMemory, retainedHeap } from './harness.mjs';

let server;
before(async () => { server = await serve(); });
after(() => server.close());

/** Records CSP violations and requests to other origins from the start of the page. */
async function watch(page, origin) {
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const off = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (!['data:', 'blob:'].includes(u.protocol) && u.origin !== origin) off.push(r.url());
  });
  return off;
}

const step = async (page) => Number(await text(page, 'metric-step'));

test('CSP: only this origin and wasm compilation; no violation or off-origin request while loading, training, embedding', async () => {
  const browser = await launch();
  try {
    const origin = new URL(server.url).origin;
    const page = await browser.newPage();
    const off = await watch(page, origin);
    await page.goto(server.url);
    const csp = await page.locator('meta[http-equiv=Content-Security-Policy]').getAttribute('content');
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval' 'sha256-/);
    assert.doesNotMatch(csp, /'unsafe-eval'|'unsafe-inline'|\*/);
    await page.waitForFunction(() => document.querySelector('[data-testid=decoded-panel]')?.dataset.shownVersion > 0, null, { timeout: 60_000 });
    await trainUntil(page, 30);
    await pause(page);
    // The maths panel with numbers in it: MathML needs no font, style or script from anywhere.
    await page.click('[data-testid=example-3]');
    await page.waitForFunction(() => document.querySelector('[data-testid=maths-panel]')?.dataset.kl && document.querySelector('[data-testid=maths-panel] .maths-batch'), null, { timeout: 60_000 });
    assert.ok(await page.evaluate(() => document.querySelectorAll('[data-testid=maths-panel] math').length >= 5));
    assert.deepEqual(await page.evaluate(() => window.__csp), []);

    // Embedded in the strictest sandbox it works in (module scripts need the real origin).
    const host = await browser.newPage();
    const hostOff = await watch(host, origin);
    await host.goto(`${server.url}examples/blog-post.html`);
    await host.evaluate((src) => {
      const f = document.createElement('iframe');
      f.id = 'strict';
      f.setAttribute('sandbox', 'allow-scripts allow-same-origin');
      f.src = src;
      document.body.append(f);
    }, `${server.url}?embed&panels=decoded,sliders,maths`);
    const frame = await (await host.waitForSelector('#strict')).contentFrame();
    await frame.waitForFunction(() => document.querySelector('[data-testid=decoded-panel]')?.dataset.shownVersion > 0, null, { timeout: 60_000 });
    await frame.waitForSelector('[data-testid=maths-panel]');
    assert.deepEqual(await host.evaluate(() => window.__csp), []);
    // Every frame of the page that loaded the playground: the strict one, and the article's own
    // embeds that have loaded (they are lazy).
    const frames = host.frames().filter((f) => f !== host.mainFrame() && f.url().startsWith(server.url));
    assert.ok(frames.includes(frame), frames.map((f) => f.url()).join(', '));
    for (const f of frames) assert.deepEqual(await f.evaluate(() => window.__csp ?? 'no recorder'), [], f.url());
    assert.deepEqual(off, []);
    assert.deepEqual(hostOff, []);
  } finally {
    await browser.close();
  }
});

test('a diverging learning rate is caught, undone and explained; training resumes after lowering it', async () => {
  const browser = await launch();
  try {
    const { page, errors } = await openPlayground(browser, server.url);
    await page.fill('[data-testid=lr]', '10');
    await page.locator('[data-testid=lr]').dispatchEvent('change');
    await page.locator('[data-testid=train]:not([disabled])').waitFor({ timeout: 60_000 });
    await page.click('[data-testid=train]');
    await page.locator('[data-testid=notice]').waitFor({ timeout: 180_000 });
    const notice = await text(page, 'notice');
    assert.match(notice, /diverged/);
    assert.match(notice, /restored to step \d+/);
    assert.match(notice, /learning rate of 0\.001/);
    assert.equal(await text(page, 'train'), 'Train', 'training paused');
    const restored = Number(notice.match(/restored to step (\d+)/)[1]);
    assert.equal(await step(page), restored);
    // The restored model decodes finite pixels.
    await settledPixels(page);
    assert.equal(await page.locator('[data-testid=decoded-panel]').getAttribute('data-finite'), 'true');
    for (const id of ['metric-kl', 'metric-recon', 'metric-elbo']) {
      const v = await text(page, id);
      assert.ok(v === '–' || Number.isFinite(Number(v)), `${id} = ${v}`);
    }

    await page.fill('[data-testid=lr]', '0.001');
    await page.locator('[data-testid=lr]').dispatchEvent('change');
    await trainUntil(page, restored + 20);
    await pause(page);
    assert.ok(Number.isFinite(Number(await text(page, 'metric-elbo'))));
    assert.equal(await page.locator('[data-testid=notice]').count(), 0, 'notice cleared on Train');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('a lost WebGPU device: the page moves to the CPU with the weights and keeps training', async () => {
  const browser = await launch({ webgpu: true });
  try {
    const page = await browser.newPage();
    // Training runs in the train worker: keep hold of every device it creates, so the test can
    // destroy it. The worker asks for a device only once told to train, well after it starts.
    const trainWorker = new Promise((resolve) => page.on('worker', async (w) => {
      if (!w.url().includes('train_worker')) return;
      await w.evaluate(() => {
        self.__devices = [];
        if (!self.GPUAdapter) return;
        const request = GPUAdapter.prototype.requestDevice;
        GPUAdapter.prototype.requestDevice = async function (...args) {
          const device = await request.apply(this, args);
          self.__devices.push(device);
          return device;
        };
      });
      resolve(w);
    }));
    await page.goto(server.url);
    await page.waitForFunction(() => /WebGPU/.test(document.querySelector('[data-testid=backend]')?.textContent), null, { timeout: 60_000 });
    await page.waitForFunction(() => document.querySelector('[data-testid=decoded-panel]')?.dataset.shownVersion > 0, null, { timeout: 60_000 });
    await trainUntil(page, 3);
    // Weights are read back every 2 s while training on the GPU: wait for one.
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=playground]').dataset.checkpointStep) >= 1, null, { timeout: 120_000 });
    const checkpoint = Number(await page.locator('[data-testid=playground]').getAttribute('data-checkpoint-step'));
    const before = await step(page);
    const worker = await trainWorker;
    assert.ok(await worker.evaluate(() => self.__devices.length) >= 1);
    await worker.evaluate(() => self.__devices.forEach((d) => d.destroy()));

    await page.waitForFunction(() => /CPU/.test(document.querySelector('[data-testid=backend]').textContent), null, { timeout: 60_000 });
    const notice = await text(page, 'notice');
    assert.match(notice, /WebGPU device was lost/);
    assert.match(notice, /training goes on/);
    const resumedFrom = Number(notice.match(/from step (\d+)/)[1]);
    assert.ok(resumedFrom >= checkpoint && resumedFrom <= before + 64, `resumed from ${resumedFrom}, checkpoint ${checkpoint}, was at ${before}`);
    await waitForStep(page, resumedFrom + 20, 120_000);
    assert.equal(await text(page, 'train'), 'Pause', 'still training');
    const pixels = await settledPixels(page);
    assert.ok(new Set(pixels).size > 10, 'decoded image has structure');
    assert.equal(await page.locator('[data-testid=backend-select] option[value=gpu]').count(), 0, 'no GPU to switch back to');
    await pause(page);
  } finally {
    await browser.close();
  }
});

test('a WebGPU adapter short of what training needs is not used: the CPU, and a notice saying which limit', async () => {
  const browser = await launch({ webgpu: true });
  try {
    const { page, errors } = await openPlayground(browser, server.url, {
      // SwiftShader, reporting WebGPU compatibility mode's 128 invocations per workgroup.
      prepare: (p) => p.addInitScript(() => {
        if (!self.GPUAdapter) return;
        const limits = Object.getOwnPropertyDescriptor(GPUAdapter.prototype, 'limits');
        Object.defineProperty(GPUAdapter.prototype, 'limits', {
          get() {
            const real = limits.get.call(this);
            return new Proxy(real, { get: (t, k) => (k === 'maxComputeInvocationsPerWorkgroup' ? 128 : Reflect.get(t, k)) });
          },
        });
      }),
    });
    assert.match(await text(page, 'backend'), /CPU/);
    assert.match(await text(page, 'notice'), /WebGPU adapter .* falls short .*maxComputeInvocationsPerWorkgroup: 128 \(needs 256\).*CPU/s);
    assert.equal(await page.locator('[data-testid=backend-select] option[value=gpu]').count(), 0, 'WebGPU is not offered');
    await trainUntil(page, 3);
    await pause(page);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('a browser that cannot run the page says why instead of showing a blank page', async () => {
  const browser = await launch();
  try {
    // No WebAssembly SIMD (Safari before 16.4, old Firefox): the check before the module says so.
    const old = await browser.newPage();
    await old.addInitScript(() => {
      WebAssembly.validate = () => false;
      const refuse = () => Promise.reject(new WebAssembly.CompileError('invalid opcode 0xfd'));
      WebAssembly.instantiateStreaming = refuse;
      WebAssembly.instantiate = refuse;
    });
    await old.goto(server.url);
    await old.locator('#unsupported').waitFor({ timeout: 30_000 });
    assert.match(await old.locator('#unsupported').textContent(), /cannot run in this browser: it lacks WebAssembly SIMD/);
    assert.equal(await old.getAttribute('#unsupported', 'role'), 'alert');
    await old.close();
    // The page's module fails to load: said too.
    const broken = await browser.newPage();
    await broken.route(/playground-[^/]*_bg\.wasm$/, (route) => route.fulfill({ status: 404, body: '' }));
    await broken.goto(server.url);
    await broken.locator('#unsupported').waitFor({ timeout: 30_000 });
    assert.match(await broken.locator('#unsupported').textContent(), /WebAssembly did not start/);
    await broken.close();
    // A browser that runs it shows no such line.
    const { page } = await openPlayground(browser, server.url);
    assert.equal(await page.locator('#unsupported').count(), 0);
  } finally {
    await browser.close();
  }
});

test('a train worker that stops is replaced by one on the CPU from the last weights, and training goes on', async () => {
  const browser = await launch();
  try {
    const { page } = await openPlayground(browser, server.url);
    await trainUntil(page, 10);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=playground]').dataset.checkpointStep) >= 1, null, { timeout: 60_000 });
    const old = page.workers().find((w) => w.url().includes('train_worker'));
    assert.ok(old, 'training runs in the train worker');
    // An uncaught error in the worker, as a panic would raise.
    await old.evaluate(() => setTimeout(() => { throw new Error('simulated crash'); }));
    await page.locator('[data-testid=notice]').waitFor({ timeout: 60_000 });
    const notice = await text(page, 'notice');
    assert.match(notice, /training worker stopped \(.*simulated crash.*\)/);
    assert.match(notice, /training goes on/);
    const resumedFrom = Number(notice.match(/from step (\d+)/)[1]);
    await waitForStep(page, resumedFrom + 10, 120_000);
    assert.equal(await text(page, 'train'), 'Pause', 'still training');
    assert.ok(page.workers().some((w) => w !== old && w.url().includes('train_worker')), 'a new train worker');
    await pause(page);
    assert.equal(await page.locator('[data-testid=decoded-panel]').getAttribute('data-finite'), 'true');
  } finally {
    await browser.close();
  }
});

test('memory stays bounded while training (short soak)', async () => {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    await page.addInitScript(() => addEventListener('TrunkApplicationStarted', (e) => { window.__wasm = e.detail.wasm; }));
    await page.goto(server.url);
    await page.waitForFunction(() => document.querySelector('[data-testid=decoded-panel]')?.dataset.shownVersion > 0, null, { timeout: 60_000 });
    // Training runs in the train worker: its wasm memory counts with the page's.
    const sample = async () => {
      const s = await page.evaluate(() => ({ wasm: window.__wasm.memory.buffer.byteLength, step: Number(document.querySelector('[data-testid=metric-step]').textContent) }));
      const worker = await trainWorkerMemory(page);
      assert.ok(worker > 0, 'the train worker is running');
      return { ...s, wasm: s.wasm + worker, heap: await retainedHeap(page) };
    };
    await trainUntil(page, 100); // warm-up: training data, buffers, chart
    const first = await sample();
    await waitForStep(page, first.step + 400, 300_000);
    const last = await sample();
    await pause(page);
    const mb = (b) => (b / 2 ** 20).toFixed(1);
    console.log(`short soak: ${last.step - first.step} steps; wasm ${mb(first.wasm)} → ${mb(last.wasm)} MiB; JS heap after GC ${mb(first.heap)} → ${mb(last.heap)} MiB`);
    assert.ok(last.wasm - first.wasm <= 16 * 2 ** 20, 'wasm memory grew by more than 16 MiB');
    // What survives a collection held at 2.5 MiB over 400 steps here: 4 MiB leaves room for
    // noise, not for a leak that keeps anything per step or per report.
    assert.ok(last.heap - first.heap <= 4 * 2 ** 20, 'JS heap kept after a collection grew by more than 4 MiB');
  } finally {
    await browser.close();
  }
});
