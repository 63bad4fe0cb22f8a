/**
 * `gridcells report` writes a report.html that a real browser renders with every figure loaded
 * (headless Chromium from Debian's package, driven by playwright-core), and that opens offline:
 * every figure is inlined, with copies in figures/ beside it.
 */
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const CLI = fileURLToPath(new URL('../bin/gridcells.js', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);

describe('report.html', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gridcells-report-'));
  const out = join(dir, 'run');

  it('is written by gridcells report, with every figure inlined and copied beside it', () => {
    const cfg = join(dir, 'small.json');
    writeFileSync(cfg, JSON.stringify({ model: { hidden: 8 }, train: { steps: 6, batch: 4, timeSteps: 20, checkpointEvery: 3, evalEvery: 3, evalBatch: 8 } }));
    expect(spawnSync(process.execPath, [CLI, 'train', '--config', cfg, '--out', out]).status).toBe(0);
    const r = spawnSync(process.execPath, [CLI, 'report', out, '--trials', '30', '--long-factor', '5'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    const inlined = html.match(/<img [^>]*src="data:image\/(png|svg\+xml);base64,/g) ?? [];
    expect(inlined.length).toBe(10);
    expect(readdirSync(join(out, 'figures')).sort()).toEqual(
      ['boundary.svg', 'development.svg', 'hist_band.svg', 'hist_border.svg', 'hist_score60.svg', 'long_path.svg', 'loss.svg', 'rate_maps.png', 'sac_best.png', 'training.svg'],
    );
    expect(html).toMatch(/Backend <b>(wasm|js)<\/b>/);
    expect(html).not.toMatch(/https?:\/\//); // nothing to fetch: it opens offline
  });

  it.skipIf(!haveChromium && !process.env.CI)('loads in headless Chromium with every figure rendered', async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`file://${join(out, 'report.html')}`);
      const images = await page.$$eval('img', (xs) => xs.map((i) => ({ alt: i.alt, loaded: i.complete && i.naturalWidth > 0 })));
      expect(images).toHaveLength(10);
      for (const img of images) expect(img.loaded, img.alt).toBe(true);
      const headings = await page.$$eval('h2', (xs) => xs.map((h) => h.textContent));
      expect(headings).toEqual(['Training', 'Cell types', 'Development', 'Speed and direction tuning', 'Long paths', 'Config']);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
