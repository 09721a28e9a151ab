// Runs you can compare: two runs at different β on one chart, the stop rule, the hover
// read-out against the run's own rows, CSV and JSON out and back, a corrupt runs file refused,
// and the list kept across a reload. Headless Chromium, release build, CPU path.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { serve, launch, openPlayground, text } from './harness.mjs';

const STOP = 150;
/** The most steps one chunk of the train worker takes (CHUNK_MS's clamp in train_service.rs). */
const MAX_CHUNK = 64;

let server;
let browser;
before(async () => {
  server = await serve();
  browser = await launch();
});
after(async () => {
  await browser.close();
  server.close();
});

async function setField(page, id, value) {
  await page.fill(`[data-testid=${id}]`, String(value));
  await page.locator(`[data-testid=${id}]`).dispatchEvent('change');
}

const busy = (page) => page.evaluate(() => document.querySelector('[data-testid=playground]').dataset.trainerBusy);
const runIds = (page) => page.$$eval('[data-testid=runs] tr[data-run]', (rows) => rows.map((r) => r.dataset.run));

/** Reset, set β, train until the stop rule pauses; the step it paused at. */
async function runAt(page, beta) {
  await page.click('[data-testid=reset]');
  // The first Reset waits for the training images; an action pressed before they are in
  // would replace it.
  await page.waitForFunction(() => /Training on \d+ images|stop rule/.test(document.querySelector('[data-testid=status]').textContent)
    && document.querySelector('[data-testid=metric-step]').textContent.trim() === '0', null, { timeout: 120_000 });
  await setField(page, 'beta', beta);
  await page.click('[data-testid=train]');
  await page.waitForFunction((stop) => Number(document.querySelector('[data-testid=metric-step]').textContent) >= stop
    && document.querySelector('[data-testid=playground]').dataset.trainerBusy === 'false'
    && /stop rule/.test(document.querySelector('[data-testid=status]').textContent), STOP, { timeout: 180_000 });
  return Number((await text(page, 'status')).match(/at step (\d+)/)[1]);
}

async function download(page, selector) {
  const [file] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  return { name: file.suggestedFilename(), text: await readFile(await file.path(), 'utf8') };
}

/** Where a run ended: its last test point, else its last row. */
const finalKl = (run) => (run.test_points.at(-1) ?? run.history.at(-1)).kl;

test('two runs at different β share the chart in their own colours, stop by the rule, read out their rows, and go out and come back', async () => {
  const { page, errors } = await openPlayground(browser, server.url);
  await page.locator('[data-testid=train]:not([disabled])').waitFor({ timeout: 60_000 });
  // The pretrained model's own run is there before any training.
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=runs] tr[data-run]').length === 1);
  await page.selectOption('[data-testid=stop-rule]', 'steps');
  await setField(page, 'stop-value', STOP);

  for (const beta of [1, 4]) {
    const at = await runAt(page, beta);
    assert.ok(at >= STOP && at < STOP + MAX_CHUNK, `paused by the rule at step ${at}, within one chunk of ${STOP}`);
  }
  const ids = await runIds(page);
  assert.equal(ids.length, 3);
  assert.equal(await page.locator('[data-testid=loss-chart]').getAttribute('data-runs'), '3');
  const strokes = await page.$$eval('[data-testid=chart-rd] polyline[data-run]', (ls) => ls.map((l) => getComputedStyle(l).stroke));
  assert.equal(strokes.length, 3);
  assert.equal(new Set(strokes).size, 3, `distinct colours: ${strokes}`);

  const json = await download(page, '[data-testid=export-runs]');
  const file = JSON.parse(json.text);
  const [, one, four] = file.runs;
  assert.deepEqual([file.runs[0].origin, one.settings.beta, four.settings.beta], ['pretrained', 1, 4]);
  assert.ok(finalKl(four) < finalKl(one), `higher β, lower KL: ${finalKl(four)} vs ${finalKl(one)}`);

  // Hover a vertex of the β = 4 trajectory on the rate–distortion plane: the read-out is that row.
  await page.locator('[data-testid=chart-rd]').scrollIntoViewIfNeeded();
  const spot = await page.$eval(`[data-testid=chart-rd] polyline[data-run="${ids[2]}"]`, (line) => {
    const svg = line.ownerSVGElement;
    const box = svg.getBoundingClientRect();
    const scale = box.width / svg.viewBox.baseVal.width;
    const points = line.getAttribute('points').trim().split(/\s+/).map((p) => p.split(',').map(Number));
    const [x, y] = points[Math.floor(points.length / 2)];
    return { x: box.left + x * scale, y: box.top + y * scale };
  });
  await page.mouse.move(spot.x, spot.y);
  const readout = page.locator('[data-testid=chart-readout]');
  await readout.waitFor();
  const [run, step, kl, recon] = await Promise.all(['run', 'step', 'kl', 'recon'].map((k) => readout.getAttribute(`data-${k}`)));
  assert.equal(run, ids[2]);
  const row = four.history.find((r) => r.step === Number(step));
  assert.ok(row, `a row at step ${step}`);
  assert.deepEqual([Number(kl), Number(recon)], [row.kl, row.recon]);
  assert.match(await readout.textContent(), new RegExp(`step ${step} .*KL ${row.kl.toFixed(4)}, recon ${row.recon.toFixed(4)}`));
  // The run's CSV has the same row (to its 4 decimals).
  const csv = await download(page, `[data-testid=run-csv-${ids[2]}]`);
  assert.match(csv.name, /\.history\.csv$/);
  const line = csv.text.split('\n').find((l) => l.startsWith(`${step},`)).split(',');
  assert.deepEqual([line[3], line[4]], [row.kl.toFixed(4), row.recon.toFixed(4)]);

  // A renamed run keeps its name across a reload, with every run.
  await setField(page, `run-name-${ids[1]}`, 'beta one');
  await page.waitForFunction(() => document.querySelector('[data-testid=playground]'));
  await page.reload();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=runs] tr[data-run]').length === 3, null, { timeout: 60_000 });
  assert.equal(await page.inputValue('[data-testid=runs] tr[data-run]:nth-child(2) input'), 'beta one');
  assert.equal(await page.locator('[data-testid=loss-chart]').getAttribute('data-runs'), '3');

  // Another browser profile: a corrupt file is refused and changes nothing; the export loads.
  const other = await browser.newContext();
  const fresh = await other.newPage();
  await fresh.goto(server.url);
  await fresh.waitForFunction(() => document.querySelectorAll('[data-testid=runs] tr[data-run]').length === 1, null, { timeout: 60_000 });
  const broken = json.text.replace('"version":1', '"version":1,"runs2":[]').slice(0, -40);
  await fresh.setInputFiles('[data-testid=import-runs]', { name: 'runs.json', mimeType: 'application/json', buffer: Buffer.from(broken) });
  await fresh.locator('[data-testid=notice]').waitFor();
  assert.match(await text(fresh, 'notice'), /runs file could not be used: not a runs file.*unchanged/);
  assert.equal((await runIds(fresh)).length, 1);
  await fresh.setInputFiles('[data-testid=import-runs]', { name: 'runs.json', mimeType: 'application/json', buffer: Buffer.from(json.text) });
  await fresh.waitForFunction(() => document.querySelectorAll('[data-testid=runs] tr[data-run]').length === 3);
  const back = JSON.parse((await download(fresh, '[data-testid=export-runs]')).text);
  assert.deepEqual(back, file, 'the file loaded back is the file written');
  await other.close();

  assert.equal(await busy(page), 'false');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a β sweep named by the link trains three runs, joins their final points as the frontier, shows a run\'s model on click, and the chart redraws and exports', async () => {
  const { page, errors } = await openPlayground(browser, `${server.url}?sweep=0.5,2,8&sweep-epochs=0.3`);
  await page.locator('[data-testid=sweep]:not([disabled])').waitFor({ timeout: 60_000 });
  assert.equal(await page.inputValue('[data-testid=sweep-betas]'), '0.5,2,8');
  assert.match(await text(page, 'sweep-planned'), /β = 0\.5, 2, 8, 0\.3 epoch/);
  await page.click('[data-testid=sweep]');
  await page.waitForFunction(() => /Sweep: run 2 of 3 \(β = 2\)/.test(document.querySelector('[data-testid=status]').textContent), null, { timeout: 180_000 });
  await page.waitForFunction(() => /Sweep done/.test(document.querySelector('[data-testid=status]').textContent)
    && document.querySelector('[data-testid=playground]').dataset.trainerBusy === 'false', null, { timeout: 300_000 });
  const frontier = page.locator('[data-testid=chart-rd] polyline.frontier');
  assert.equal(await frontier.count(), 1);
  assert.equal(await frontier.getAttribute('data-points'), '3');
  const names = await page.$$eval('[data-testid=runs] tr[data-run] input[aria-label="run name"]', (ins) => ins.map((i) => i.value));
  assert.deepEqual(names.slice(1), ['sweep 1 β 0.5', 'sweep 1 β 2', 'sweep 1 β 8']);
  // The frontier goes through the three runs' final points.
  const finals = await page.$$eval('[data-testid=chart-rd] g.final circle', (cs) => cs.slice(1).map((c) => `${c.getAttribute('cx')},${c.getAttribute('cy')}`));
  assert.deepEqual((await frontier.getAttribute('points')).trim().split(/\s+/).sort(), finals.sort());

  // Each sweep point shows its run's model: the first one's click puts its weights on screen.
  const version = () => page.getAttribute('[data-testid=decoded-panel]', 'data-model-version');
  const before = await version();
  const pickable = await page.$$eval('[data-testid=chart-rd] g.final.pickable', (gs) => gs.map((g) => g.dataset.run));
  const sweepRuns = await page.$$eval('[data-testid=runs] tr[data-run]', (rows) => rows
    .map((r) => [r.dataset.run, r.querySelector('input[aria-label="run name"]').value])
    .filter(([, name]) => name.startsWith('sweep')));
  assert.deepEqual(pickable.filter((id) => sweepRuns.some(([s]) => s === id)).sort(), sweepRuns.map(([id]) => id).sort(),
    'every sweep run\'s point shows its model');
  const [id, name] = sweepRuns[0];
  // Short runs' points may lie on one another: the click goes to this one's circle itself.
  await page.dispatchEvent(`[data-testid=chart-rd] g.final.pickable[data-run="${id}"] circle`, 'click');
  await page.waitForFunction((v) => document.querySelector('[data-testid=decoded-panel]').dataset.modelVersion !== v, before);
  assert.equal(await text(page, 'status'), `On screen: the model of run “${name}”. Training goes on from it as a new run.`);

  // x as images seen: the same lines, another axis; log y: a log axis.
  const elboLabel = () => page.$$eval('[data-testid=chart-elbo] .axis-label', (ls) => ls.map((l) => l.textContent));
  assert.deepEqual(await elboLabel(), ['training step', 'nats / image']);
  const elboLines = () => page.$$eval('[data-testid=chart-elbo] polyline.neg-elbo', (ls) => ls.map((l) => l.getAttribute('points')));
  const stepPoints = await elboLines();
  await page.selectOption('[data-testid=chart-x]', 'images');
  await page.check('[data-testid=chart-log-y]');
  assert.deepEqual(await elboLabel(), ['images seen', 'nats / image (log)']);
  const imagePoints = await elboLines();
  assert.equal(imagePoints.length, stepPoints.length);
  assert.notDeepEqual(imagePoints, stepPoints);
  const ticks = await page.$$eval('[data-testid=chart-kl] .tick text', (ts) => ts.map((t) => t.textContent));
  assert.ok(ticks.length >= 4, `ticks on both axes: ${ticks}`);

  // The chart out as one SVG (every line, styled) and as a PNG.
  const [svgFile] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-chart]')]);
  assert.equal(svgFile.suggestedFilename(), 'vae-chart.svg');
  const svg = await readFile(await svgFile.path(), 'utf8');
  const lines = await page.$$eval('[data-testid=loss-chart] svg.chart polyline', (ls) => ls.length);
  assert.equal((svg.match(/<polyline/g) ?? []).length, lines);
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg, /<polyline[^>]* stroke="rgb\(/, 'colours are written onto the lines');
  const [pngFile] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-chart-png]')]);
  const png = await readFile(await pngFile.path());
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  const width = png.readUInt32BE(16);
  const chartWidth = await page.$eval('[data-testid=chart-rd]', (s) => s.getBoundingClientRect().width);
  assert.equal(width, Math.ceil(chartWidth) * 2, 'drawn at twice the chart\'s size');
  assert.deepEqual(errors, []);
  await page.close();
});
