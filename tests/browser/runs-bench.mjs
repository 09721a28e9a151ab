// The run list's costs, measured in headless Chromium on the CPU path against the release build:
// the time of the default β sweep (5 β values, 1 epoch of the first 10,000 images each), the
// memory the runs' read-out reports after it, the smallest chart text at an embed's 600 × 400
// and at phone width, and (with --shots DIR) screenshots of the chart in both themes.
//   trunk build --release && node tests/browser/runs-bench.mjs --out bench/runs.json --shots /tmp
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { serve, launch, openPlayground, text } from './harness.mjs';

const arg = (name) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const server = await serve();
const browser = await launch();
const out = {
  how: 'node tests/browser/runs-bench.mjs (headless Chromium, CPU path, release build)',
  date: new Date().toISOString(),
  machine: `${cpus().length} × ${cpus()[0]?.model}, load ${loadavg()[0].toFixed(1)} at start`,
};
try {
  const { page } = await openPlayground(browser, server.url);
  await page.setViewportSize({ width: 1280, height: 1000 });
  await page.locator('[data-testid=sweep]:not([disabled])').waitFor({ timeout: 60_000 });
  out.sweep = { betas: await page.inputValue('[data-testid=sweep-betas]'), epochs_each: Number(await page.inputValue('[data-testid=sweep-epochs]')) };
  const t0 = Date.now();
  await page.click('[data-testid=sweep]');
  await page.waitForFunction(() => /Sweep done/.test(document.querySelector('[data-testid=status]').textContent)
    && document.querySelector('[data-testid=playground]').dataset.trainerBusy === 'false', null, { timeout: 900_000 });
  // From the click (the training images load first) to the last run paused.
  out.sweep.seconds = (Date.now() - t0) / 1000;
  out.runs_memory = await text(page, 'runs-memory');
  out.finals = await page.$$eval('[data-testid=runs] tr[data-run]', (rows) => rows.map((r) => `${r.querySelector('input').value}: ${r.querySelector('.run-final').textContent}`));
  const shots = arg('--shots');
  for (const scheme of shots ? ['light', 'dark'] : []) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.locator('[data-testid=chart-rd]').scrollIntoViewIfNeeded();
    const rd = await page.locator('[data-testid=chart-rd]').boundingBox();
    await page.mouse.move(rd.x + rd.width * 0.5, rd.y + rd.height * 0.5);
    await page.locator('.chart-panel').screenshot({ path: `${shots}/issue18-chart-${scheme}.png` });
  }
  // The smallest chart text, in CSS px as drawn.
  for (const [w, h, q] of [[600, 400, '?embed&panels=chart'], [390, 844, '']]) {
    const p = await browser.newPage({ viewport: { width: w, height: h } });
    await p.goto(server.url + q);
    await p.waitForFunction(() => Number(document.querySelector('[data-testid=loss-chart]')?.dataset.points) > 0, null, { timeout: 60_000 });
    await p.waitForTimeout(500);
    out[`smallest_chart_text_px_at_${w}`] = await p.$$eval('[data-testid=loss-chart] svg text', (ts) => Math.min(...ts.map((t) => {
      const svg = t.ownerSVGElement;
      return parseFloat(getComputedStyle(t).fontSize) * svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    })));
    if (shots) await p.locator('.chart-panel').screenshot({ path: `${shots}/issue18-chart-${w}px.png` });
    await p.close();
  }
} finally {
  const json = JSON.stringify(out, null, 1);
  console.log(json);
  if (arg('--out')) await writeFile(arg('--out'), `${json}\n`);
  await browser.close();
  server.close();
}
