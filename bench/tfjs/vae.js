// The playground's reference VAE written with TensorFlow.js, for the benchmark's peer column.
// Same model, loss, optimiser and data as `src/`: 784-512-2 MLP, ReLU hidden layers, encoder
// giving (mu, logvar), decoder logits, Bernoulli summed BCE + closed-form KL averaged over the
// batch, Adam (lr 1e-3, eps 1e-8), batch 128, the first 10k MNIST training images.
// It also copies `src/rng.rs` (SplitMix64), so for one seed it starts from the same weights
// (He-uniform / PyTorch-uniform, output bias = pixel log-odds), walks the same batches and
// draws the same noise as `vae train --small`: the two runs differ only by float rounding.
// Driven by tests/browser/bench.mjs through `window.tfjsBench`.
/* global tf */
'use strict';

const PIXELS = 784;
const HIDDEN = 512;
const LATENT = 2;
const BATCH = 128;
const HE_GAIN = 2.449489742783178; // sqrt(6), as src/model.rs

/** src/rng.rs, bit for bit (u64 arithmetic on BigInt). */
class SeededRng {
  constructor(seed) { this.state = BigInt.asUintN(64, BigInt(seed) ^ 0x5DEECE66D1CE4E5Bn); }
  nextU64() {
    this.state = BigInt.asUintN(64, this.state + 0x9E3779B97F4A7C15n);
    let z = this.state;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xBF58476D1CE4E5B9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94D049BB133111EBn);
    return z ^ (z >> 31n);
  }
  uniform() { return Number(this.nextU64() >> 11n) * 2 ** -53; }
  below(n) { return Math.floor(this.uniform() * n) % Math.max(n, 1); }
  normal() {
    const u1 = 1 - this.uniform();
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
  normals(n) { const out = new Float32Array(n); for (let i = 0; i < n; i++) out[i] = this.normal(); return out; }
  shuffle(a) {
    for (let i = a.length - 1; i >= 1; i--) { const j = this.below(i + 1); [a[i], a[j]] = [a[j], a[i]]; }
  }
}

/** src/data.rs BatchCursor: seeded shuffle, reshuffled each epoch, short last batch. */
class BatchCursor {
  constructor(len, seed) {
    this.rng = new SeededRng(seed);
    this.order = Array.from({ length: len }, (_, i) => i);
    this.rng.shuffle(this.order);
    this.position = 0;
  }
  next(size) {
    const end = Math.min(this.position + size, this.order.length);
    const batch = this.order.slice(this.position, end);
    this.position = end;
    if (this.position >= this.order.length) { this.rng.shuffle(this.order); this.position = 0; }
    return batch;
  }
}

async function fetchU8(name) {
  const res = await fetch(`../data/${name}`);
  if (!res.ok) throw new Error(`${name}: HTTP ${res.status}`);
  const stream = res.body.pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** `[n, 784]` grey levels in [0, 1] of the images at `indices`. */
function batchOf(images, indices) {
  const x = new Float32Array(indices.length * PIXELS);
  indices.forEach((img, r) => {
    for (let p = 0; p < PIXELS; p++) x[r * PIXELS + p] = images[img * PIXELS + p] / 255;
  });
  return tf.tensor2d(x, [indices.length, PIXELS]);
}

/** src/model.rs VaeConfig::init plus src/train.rs with_output_bias_from_data. */
function initModel(seed, train) {
  const rng = new SeededRng(seed);
  const layer = (dIn, dOut, gain) => {
    const bound = gain / Math.sqrt(dIn);
    const draw = (n) => { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = (rng.uniform() * 2 - 1) * bound; return a; };
    const w = draw(dIn * dOut);
    const b = draw(dOut);
    return { w: tf.variable(tf.tensor2d(w, [dIn, dOut])), b: tf.variable(tf.tensor1d(b)) };
  };
  const m = {
    encHidden: layer(PIXELS, HIDDEN, HE_GAIN),
    encMu: layer(HIDDEN, LATENT, 1),
    encLogvar: layer(HIDDEN, LATENT, 1),
    decHidden: layer(LATENT, HIDDEN, HE_GAIN),
    decOut: layer(HIDDEN, PIXELS, 1),
  };
  const n = train.length / PIXELS;
  const sums = new Float64Array(PIXELS);
  for (let i = 0; i < train.length; i++) sums[i % PIXELS] += train[i] / 255;
  const logOdds = new Float32Array(PIXELS);
  for (let p = 0; p < PIXELS; p++) {
    const q = Math.min(Math.max(sums[p] / n, 1e-3), 1 - 1e-3);
    logOdds[p] = Math.log(q / (1 - q));
  }
  m.decOut.b.assign(tf.tensor1d(logOdds));
  return m;
}

const dense = (l, x) => tf.add(tf.matMul(x, l.w), l.b);

/** Per-image KL and Bernoulli reconstruction, each `[n]` (src/elbo.rs). */
function elboParts(m, x, eps) {
  const h = tf.relu(dense(m.encHidden, x));
  const mu = dense(m.encMu, h);
  const logvar = dense(m.encLogvar, h);
  const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), eps));
  const logits = dense(m.decOut, tf.relu(dense(m.decHidden, z)));
  const kl = tf.mul(tf.sum(tf.sub(tf.sub(tf.add(logvar, 1), tf.square(mu)), tf.exp(logvar)), 1), -0.5);
  const perPixel = tf.add(tf.sub(tf.relu(logits), tf.mul(x, logits)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
  return { kl, recon: tf.sum(perPixel, 1) };
}

class Run {
  constructor(data, seed) {
    this.data = data;
    this.model = initModel(seed, data.train);
    this.vars = Object.values(this.model).flatMap((l) => [l.w, l.b]);
    this.optim = tf.train.adam(1e-3, 0.9, 0.999, 1e-8);
    this.cursor = new BatchCursor(data.train.length / PIXELS, seed);
    this.noise = new SeededRng(seed + 1);
    this.steps = 0;
    this.images = 0;
  }

  /** One Adam step; returns the loss tensor (not read back). */
  step() {
    const indices = this.cursor.next(BATCH);
    const eps = this.noise.normals(indices.length * LATENT);
    this.steps += 1;
    this.images += indices.length;
    return tf.tidy(() => this.optim.minimize(() => {
      const { kl, recon } = elboParts(this.model, batchOf(this.data.train, indices), tf.tensor2d(eps, [indices.length, LATENT]));
      return tf.add(tf.mean(recon), tf.mean(kl));
    }, true, this.vars));
  }

  /** `n` steps, then one read-back of the last loss (which waits for the device). */
  async train(n) {
    let loss = null;
    for (let i = 0; i < n; i++) { if (loss) loss.dispose(); loss = this.step(); }
    const value = (await loss.data())[0];
    loss.dispose();
    if (!Number.isFinite(value)) throw new Error(`loss ${value} at step ${this.steps}`);
    return value;
  }

  /** Test -ELBO on every test image (or the first `limit`), one z per image from
   *  SeededRng(0), as src/eval.rs. */
  async evaluate(limit = Infinity) {
    const rng = new SeededRng(0);
    const n = Math.min(limit, this.data.test.length / PIXELS);
    let kl = 0;
    let recon = 0;
    for (let start = 0; start < n; start += 1000) {
      const idx = Array.from({ length: Math.min(1000, n - start) }, (_, i) => start + i);
      const eps = rng.normals(idx.length * LATENT);
      const sums = tf.tidy(() => {
        const p = elboParts(this.model, batchOf(this.data.test, idx), tf.tensor2d(eps, [idx.length, LATENT]));
        return tf.stack([tf.sum(p.kl), tf.sum(p.recon)]);
      });
      const [k, r] = await sums.data();
      sums.dispose();
      kl += k;
      recon += r;
    }
    return { negElbo: (kl + recon) / n, kl: kl / n, recon: recon / n };
  }

  dispose() { this.vars.forEach((v) => v.dispose()); this.optim.dispose(); }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
let data = null;

window.tfjsBench = {
  /** Pick a backend; resolves to what it is, or throws if the browser has none. */
  async setup(backend) {
    if (backend === 'wasm') tf.wasm.setWasmPaths(new URL('lib/wasm/', location.href).href);
    if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not start`);
    await tf.ready();
    let adapter = null;
    if (backend === 'webgpu') {
      const a = await navigator.gpu.requestAdapter();
      const info = a.info ?? {};
      adapter = { vendor: info.vendor, architecture: info.architecture, description: info.description, fallback: a.isFallbackAdapter ?? info.isFallbackAdapter };
    }
    if (backend === 'webgl') {
      const gl = tf.backend().gpgpu.gl;
      const ext = gl.getExtension('WEBGL_debug_renderer_info');
      adapter = { renderer: ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER) };
    }
    const flags = backend === 'wasm'
      ? { simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'), threads: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT') }
      : {};
    if (!data) {
      const [train, test] = await Promise.all([fetchU8('mnist-train10k-images.u8.gz'), fetchU8('mnist-test-images.u8.gz')]);
      data = { train, test };
    }
    return { backend: tf.getBackend(), version: tf.version.tfjs, adapter, ...flags };
  },

  /** Training images/s after warm-up: the median of `windows` windows of about `windowMs`. */
  async speed({ warmupMs = 3000, windows = 5, windowMs = 3000, chunk = 4, seed = 0 } = {}) {
    const run = new Run(data, seed);
    try {
      const until = async (ms) => {
        const t0 = performance.now();
        const i0 = run.images;
        do await run.train(chunk); while (performance.now() - t0 < ms);
        return (run.images - i0) / ((performance.now() - t0) / 1000);
      };
      await until(warmupMs);
      const speeds = [];
      for (let w = 0; w < windows; w++) speeds.push(await until(windowMs));
      return { imagesPerSecond: median(speeds), windows: speeds, steps: run.steps };
    } finally {
      run.dispose();
    }
  },

  /** Seconds of training from fresh init (seed) until the test -ELBO on the first
   *  `evalImages` test images (the page's read-out: TEST_EVAL_IMAGES) is at most each of
   *  `targets`, checked every `evalEvery` steps; the checks' own time is not counted. */
  async timeToQuality({ targets = [170, 160], seed = 0, evalEvery = 20, evalImages = 500, maxSeconds = 900 } = {}) {
    const run = new Run(data, seed);
    try {
      let seconds = 0;
      const reached = [];
      const left = [...targets].sort((a, b) => b - a);
      while (left.length && seconds < maxSeconds) {
        const t0 = performance.now();
        await run.train(evalEvery);
        seconds += (performance.now() - t0) / 1000;
        const { negElbo } = await run.evaluate(evalImages);
        while (left.length && negElbo <= left[0]) reached.push({ target: left.shift(), seconds, steps: run.steps, negElbo });
      }
      return { seed, evalEvery, evalImages, reached, unreached: left };
    } finally {
      run.dispose();
    }
  },

  /** Test -ELBO from fresh init (seed) before training and after exactly `steps` steps. */
  async quality({ steps = 300, seed = 0 } = {}) {
    const run = new Run(data, seed);
    try {
      const initial = await run.evaluate();
      const t0 = performance.now();
      let lastLoss = null;
      while (run.steps < steps) lastLoss = await run.train(Math.min(50, steps - run.steps));
      const trainSeconds = (performance.now() - t0) / 1000;
      return { steps: run.steps, seed, initial, test: await run.evaluate(), lastBatchLoss: lastLoss, trainSeconds, imagesPerSecond: run.images / trainSeconds };
    } finally {
      run.dispose();
    }
  },
};
