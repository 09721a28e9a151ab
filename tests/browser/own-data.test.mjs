// "Your data": a folder upload makes classes of its sub-folders; 3 classes x 8 drawings on the
// pad train apart on the map; the set's file round-trips, and a hostile one changes nothing.
// Headless Chromium, release build.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveMounts, launch, openPlayground, text, waitForStep, pause } from './harness.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURES = join(root, 'tests', 'fixtures', 'own', 'letters');

let server;
let browser;
let sets;
before(async () => {
  sets = await mkdtemp(join(tmpdir(), 'vae-sets-'));
  server = await serveMounts({ '/': join(root, 'dist'), '/sets/': sets });
  browser = await launch();
});
after(async () => {
  await browser.close();
  server.close();
});

const count = async (page) => Number(await text(page, 'own-count'));

/** Wait until the set has `n` images. */
const countIs = (page, n) => page.waitForFunction(
  (n) => Number(document.querySelector('[data-testid=own-count]')?.textContent) === n, n, { timeout: 60_000 });

test('a folder upload makes its sub-folders the classes, and says what it skipped', async () => {
  const { page, errors } = await openPlayground(browser, server.url);
  await page.setInputFiles('[data-testid=own-folder]', FIXTURES);
  await countIs(page, 6);
  const classes = await page.locator('[data-testid=own-class] option').allTextContents();
  assert.deepEqual(classes, ['A', 'L', 'T']);
  for (const k of [0, 1, 2]) {
    assert.match(await text(page, `own-class-${k}`), /\(2\)/);
    assert.equal(await page.locator(`[data-testid=own-class-${k}] canvas`).count(), 2);
  }
  const message = await text(page, 'own-message');
  assert.match(message, /Added 6 images \(3 taken as dark-on-light/, message);
  assert.match(message, /notes\.txt: not an image/, message);
  assert.match(message, /too-wide\.png: 5000x8 pixels; images may be at most 4096x4096/, message);
  // Each image went through the pipeline: its ink centred in the 28 x 28 thumbnail.
  const centre = await page.evaluate(() => {
    const d = document.querySelector('[data-testid=own-thumb-0]').getContext('2d').getImageData(0, 0, 28, 28).data;
    let s = 0; let x = 0; let y = 0;
    for (let i = 0; i < 784; i++) { const v = d[4 * i]; s += v; x += v * (i % 28); y += v * Math.floor(i / 28); }
    return [x / s, y / s];
  });
  for (const c of centre) assert.ok(Math.abs(c - 14) <= 0.75, `centre of mass ${centre}`);
  const [decodeMs, pipelineMs, images] = (await page.locator('[data-testid=own-data]').getAttribute('data-import-ms')).split(',').map(Number);
  assert.equal(images, 8);
  console.log(`folder of ${images} files: browser decode ${decodeMs.toFixed(1)} ms, pipeline ${pipelineMs.toFixed(1)} ms (${(pipelineMs / images).toFixed(2)} ms a file)`);
  // Undo takes the whole folder back out.
  await page.click('[data-testid=own-undo]');
  await countIs(page, 0);
  assert.deepEqual(errors, []);
  await page.close();
});

/** Drop `files` ([{name, type, path}] read from disk) on "Your data", as a drag from the desktop would. */
async function drop(page, files) {
  const payload = await Promise.all(files.map(async (f) => ({ ...f, bytes: [...await readFile(f.path)] })));
  await page.evaluate((payload) => {
    const dt = new DataTransfer();
    for (const f of payload) dt.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: f.type }));
    const zone = document.querySelector('[data-testid=own-data]');
    zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, payload);
}

test('a ZIP, chosen or dropped, makes its sub-folders the classes; a dropped image joins the class picked; a bad ZIP changes nothing', async () => {
  const { page, errors } = await openPlayground(browser, server.url);
  const zip = join(FIXTURES, '..', 'letters.zip');
  await page.setInputFiles('[data-testid=own-files]', zip);
  await countIs(page, 6);
  assert.deepEqual(await page.locator('[data-testid=own-class] option').allTextContents(), ['A', 'L', 'T']);
  const message = await text(page, 'own-message');
  assert.match(message, /Added 6 images/, message);
  assert.match(message, /letters\/notes\.txt: not an image/, message);
  assert.match(message, /too-wide\.png: 5000x8 pixels/, message);
  // The same images as the folder gives: the first thumbnail's pixels.
  const thumb = () => page.evaluate(() => Array.from(document.querySelector('[data-testid=own-thumb-0]').getContext('2d').getImageData(0, 0, 28, 28).data));
  const fromZip = await thumb();
  await page.click('[data-testid=own-clear]');
  await countIs(page, 0);
  await page.setInputFiles('[data-testid=own-folder]', FIXTURES);
  await countIs(page, 6);
  assert.deepEqual(await thumb(), fromZip);

  // Dropped: one image goes to the class picked (L), adding to the set.
  await page.selectOption('[data-testid=own-class]', '1');
  await drop(page, [{ name: 'a.png', type: 'image/png', path: join(FIXTURES, 'A', 'a-dark-on-light.png') }]);
  await countIs(page, 7);
  assert.match(await text(page, 'own-class-1'), /\(3\)/);
  // A dropped ZIP with folders makes a new set of its classes.
  await drop(page, [{ name: 'letters.zip', type: 'application/zip', path: zip }]);
  await countIs(page, 6);

  // A ZIP cut short, and one whose image inflates past the limit it claims: the set stays.
  const cut = (await readFile(zip)).subarray(0, 3000);
  const dir = await mkdtemp(join(tmpdir(), 'vae-zip-'));
  await writeFile(join(dir, 'cut.zip'), cut);
  await page.setInputFiles('[data-testid=own-files]', join(dir, 'cut.zip'));
  await page.waitForFunction(() => /cut\.zip is not a ZIP archive the page can read/.test(document.querySelector('[data-testid=own-message]')?.textContent));
  assert.equal(await count(page), 6);
  await page.setInputFiles('[data-testid=own-files]', join(FIXTURES, '..', 'bomb.zip'));
  await page.waitForFunction(() => /big\.png: it inflates past the \d+ bytes/.test(document.querySelector('[data-testid=own-message]')?.textContent));
  assert.equal(await count(page), 6);
  assert.deepEqual(errors, []);
  await page.close();
});

/** Draw `shape` on the data pad: 0 a vertical bar, 1 a horizontal bar, 2 a ring; `k` moves it. */
async function drawShape(page, shape, k) {
  const pad = await page.locator('[data-testid=own-draw]').boundingBox();
  const at = (fx, fy) => [pad.x + fx * pad.width, pad.y + fy * pad.height];
  const o = ((k % 4) - 1.5) * 0.04;
  const points = [];
  for (let i = 0; i <= 16; i++) {
    const t = i / 16;
    if (shape === 0) points.push([0.5 + o, 0.2 + 0.6 * t + o / 2]);
    else if (shape === 1) points.push([0.2 + 0.6 * t + o / 2, 0.5 + o]);
    else points.push([0.5 + o + 0.3 * Math.cos(2 * Math.PI * t), 0.5 + 0.3 * Math.sin(2 * Math.PI * t)]);
  }
  await page.mouse.move(...at(...points[0]));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(...p));
  await page.mouse.up();
}

test('3 classes x 8 drawings train apart on the map, named in its legend', async () => {
  const { page, errors } = await openPlayground(browser, server.url);
  await page.locator('[data-testid=own-draw]').scrollIntoViewIfNeeded();
  const names = ['bar', 'flat', 'ring'];
  for (let c = 0; c < 3; c++) {
    await page.selectOption('[data-testid=own-class]', String(c));
    await page.fill('[data-testid=own-class-name]', names[c]);
    await page.press('[data-testid=own-class-name]', 'Enter');
    for (let k = 0; k < 8; k++) {
      await drawShape(page, c, k);
      await page.locator('[data-testid=own-add]:not([disabled])').click();
      await countIs(page, c * 8 + k + 1);
    }
  }
  await page.click('[data-testid=own-use]');
  await page.waitForFunction(() => document.querySelector('[data-testid=dataset]').value === 'own');
  const legend = await page.locator('.latent-map li').allTextContents();
  assert.deepEqual(legend, names);
  // Train: 18 training images are one batch, so a step is an epoch.
  await page.locator('[data-testid=train]:not([disabled])').waitFor({ timeout: 60_000 });
  await page.click('[data-testid=train]');
  await waitForStep(page, 1500, 240_000);
  await pause(page);
  // The map's points: 2 test images per class, encoded by the trained model.
  await page.waitForFunction(() => document.querySelector('.map-panel').dataset.classCentres.split(';').length === 3);
  const centres = (await page.locator('.map-panel').getAttribute('data-class-centres')).split(';').map((c) => {
    const [label, rest] = c.split(':');
    const [x, y, spread] = rest.split(',').map(Number);
    return { label: Number(label), x, y, spread };
  });
  for (let a = 0; a < 3; a++) {
    for (let b = a + 1; b < 3; b++) {
      const [p, q] = [centres[a], centres[b]];
      const distance = Math.hypot(p.x - q.x, p.y - q.y);
      assert.ok(distance > Math.max(p.spread, q.spread),
        `classes ${a} and ${b}: means ${distance.toFixed(3)} apart, spreads ${p.spread.toFixed(3)} and ${q.spread.toFixed(3)}`);
    }
  }
  const speed = await text(page, 'metric-speed');
  console.log(`24 drawings: ${await text(page, 'metric-step')} steps, ${speed} images/s; centres ${JSON.stringify(centres)}`);
  await page.locator('[data-testid=latent-map]').scrollIntoViewIfNeeded();
  if (process.env.OWN_SCREENSHOT) await page.locator('.map-panel').screenshot({ path: process.env.OWN_SCREENSHOT });
  assert.deepEqual(errors, []);
  await page.close();
});

test('the set downloads and loads back; a hostile file is refused and the set stays; a link loads a file of this site', async () => {
  const { page, errors } = await openPlayground(browser, server.url);
  await page.setInputFiles('[data-testid=own-folder]', FIXTURES);
  await countIs(page, 6);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=own-export]')]);
  const file = join(sets, 'letters.vaed');
  await download.saveAs(file);
  assert.match(download.suggestedFilename(), /\.vaed$/);
  const bytes = await readFile(file);
  assert.equal(bytes.subarray(0, 8).toString('latin1'), 'VAEPGD\r\n');

  await page.click('[data-testid=own-clear]');
  await countIs(page, 0);
  await page.setInputFiles('[data-testid=own-import]', file);
  await countIs(page, 6);
  assert.deepEqual(await page.locator('[data-testid=own-class] option').allTextContents(), ['A', 'L', 'T']);

  const flipped = Buffer.from(bytes);
  flipped[flipped.length - 50] ^= 0x01;
  // A header that declares a billion images, before a few bytes.
  const header = Buffer.from(JSON.stringify({ classes: ['A'], images: 1e9 }));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length);
  const huge = Buffer.concat([bytes.subarray(0, 12), length, header, Buffer.alloc(64)]);
  for (const [name, buffer, says] of [
    ['empty.vaed', Buffer.alloc(0), /too short/],
    ['flipped.vaed', flipped, /checksum/],
    ['huge.vaed', huge, /1 to 10000/],
    ['text.vaed', Buffer.from('just some text, not a dataset file'), /wrong magic/],
  ]) {
    await page.setInputFiles('[data-testid=own-import]', { name, mimeType: 'application/octet-stream', buffer });
    await page.waitForFunction(() => /could not be used/.test(document.querySelector('[data-testid=own-message]')?.textContent));
    const message = await text(page, 'own-message');
    assert.match(message, says, `${name}: ${message}`);
    assert.match(message, /unchanged/);
    assert.equal(await count(page), 6, `${name} left the set alone`);
  }
  await page.close();

  // A link to the file on this site trains on it; one to another origin is refused.
  const linked = await openPlayground(browser, `${server.url}?dataset=url:sets/letters.vaed`);
  await linked.page.waitForFunction(() => document.querySelector('[data-testid=dataset]').value === 'own');
  assert.equal(await count(linked.page), 6);
  assert.deepEqual(await linked.page.locator('.latent-map li').allTextContents(), ['A', 'L', 'T']);
  await linked.page.close();
  const refused = await openPlayground(browser, `${server.url}?dataset=url:https://example.com/x.vaed`);
  await refused.page.locator('[data-testid=notice]').waitFor();
  assert.match(await text(refused.page, 'notice'), /only a dataset file on this site/);
  assert.equal(await refused.page.locator('[data-testid=dataset]').inputValue(), 'mnist');
  await refused.page.close();
  assert.deepEqual(errors, []);
  await writeFile(join(sets, 'done'), '');
});
