// How tall slow motion's panel is in an embed 600 px wide, at each stage (for share::embed_height).
import { serve, launch } from '../tests/browser/harness.mjs';
const server = await serve();
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 600, height: 2000 } });
await page.goto(`${server.url}?embed&panels=map&slowmo`);
const names = ['batch drawn', 'encoded', 'z sampled', 'decoded', 'loss computed', 'gradient step'];
const out = {};
for (const [i, name] of names.entries()) {
  if (i > 0) await page.click('[data-testid=slowmo-next]');
  await page.waitForFunction((n) => document.querySelector('[data-testid=slowmo-stage]')?.textContent === n, name, { timeout: 120_000 });
  await page.waitForTimeout(300);
  out[name] = await page.evaluate(() => {
    const r = document.querySelector('[data-testid=slowmo-panel]').getBoundingClientRect();
    const m = document.querySelector('.map-panel')?.getBoundingClientRect();
    return { panel: Math.ceil(r.height), width: Math.round(r.width), mapTop: m && Math.round(m.top), doc: document.documentElement.scrollHeight };
  });
}
console.log(JSON.stringify(out, null, 1));
await browser.close();
server.close();
