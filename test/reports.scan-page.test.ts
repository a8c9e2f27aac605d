/**
 * The scan-level page's writer: everything from data escaped (also inside its JSON block),
 * nothing referenced outside the file but the originals it is given, a thumbnail shared by
 * both sides embedded once; in headless Chromium: counts per copy, the comment and drop
 * filters, paging, an original that moved falls back to the thumbnail and says so; and the
 * first paint of 5,000 pairs, measured.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMENTS, type AnalysisRow } from '../src/reports/analysis-columns.js';
import { fileHref, formatScanPage, writeScanPage } from '../src/reports/scan-page.js';
import { makeThumbnail, type Thumbnail } from '../src/reports/thumbnail.js';
import { drawShelfPng } from '../src/sandbox/png.js';
import { analysisRow, sampleRows } from './helpers/analysis-rows.js';
import { distinctThumbnail } from './helpers/images.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`reports.scan-page: SKIPPED the browser tests: ${CHROMIUM} is missing (apt-get install -y chromium)`);
const LAUNCH = { executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] };

let thumb: Thumbnail;
beforeAll(async () => {
  thumb = await makeThumbnail(drawShelfPng({ planogramId: 1, sectionId: 1, planogramName: 'P', sectionName: 'S', variant: 1, width: 1600, height: 1000 }));
});

describe('scan-level page text', () => {
  it('escapes every name, also inside its data block, and runs only its own script', () => {
    const rows = sampleRows();
    const html = formatScanPage(rows, { facts: [['Source', '<b>prod</b>']] });
    expect(html.match(/<script/g)).toHaveLength(2);
    expect(html.includes('</script><script>')).toBe(false);
    expect(html.includes('<script>window.pwned')).toBe(false);
    expect(html.includes('&#60;b&#62;prod&#60;/b&#62;')).toBe(true);
    expect(/(src|href)=["']?(https?:)?\/\//i.test(html)).toBe(false);
  });

  it('embeds a thumbnail once however many scans show it, and says why a scan has none', () => {
    const [first, second] = sampleRows() as [AnalysisRow, AnalysisRow];
    const html = formatScanPage([first, second], {
      thumbnails: {
        source: { thumbnails: new Map([[first.source_scan_id, thumb]]), videos: new Map([[second.source_scan_id, { name: 'aisle 7.mp4', bytes: 300 * 1024 * 1024 }]]) },
        target: {
          thumbnails: new Map([[first.target_scan_id as number, thumb]]),
          failures: new Map([[second.target_scan_id as number, { code: 'NOT_FOUND', reason: 'the storage answered 404' }]]),
        },
      },
    });
    expect(html.split(thumb.dataUri).length).toBe(2);
    expect(html).toContain('video aisle 7.mp4 (300 MB)');
    expect(html).toContain('no target image: the storage answered 404 (NOT_FOUND)');
  });

  it('links an original relative to the page, every character of its name encoded', () => {
    expect(fileHref(join('/run', 'images', 'target', 'scan 1#a%?.jpg'), '/run')).toBe('images/target/scan%201%23a%25%3F.jpg');
    expect(fileHref('/downloads/Bay "2"/x.jpg', '/results/run_1')).toBe('../../downloads/Bay%20%222%22/x.jpg');
  });
});

describe.skipIf(!haveChromium)('scan-level page in headless Chromium', () => {
  let dir: string;
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'scancopy-scan-page-'));
    browser = await chromium.launch(LAUNCH);
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('request', (request) => requests.push(request.url()));
  });
  afterAll(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const cardIds = (): Promise<number[]> => page.$$eval('#cards .card', (cards) => cards.map((c) => Number(c.getAttribute('data-source'))));

  it('counts copies per comment, filters by comment, by drop and pages through them', async () => {
    // 60 pairs: every fourth has a second section (so rows outnumber copies); a tenth dropped by 25 points.
    const rows: AnalysisRow[] = [];
    for (let i = 0; i < 60; i++) {
      const comment = COMMENTS[i % 5] as AnalysisRow['comment'];
      const drop = i % 10 === 0 ? { target_pre_pog_percentage: 46.25 } : {};
      rows.push(analysisRow(i, comment, drop));
      if (i % 4 === 0) rows.push(analysisRow(i, 'No Issues', { source_section_name: 'second bay', target_section_name: 'second bay' }));
    }
    const path = join(dir, 'scans_paging.html');
    await writeScanPage(path, rows, { pogTolerance: 1, pageSize: 25 });
    await page.goto(pathToFileURL(path).href);
    expect(await page.textContent('#scan-summary')).toMatch(/^36 of 60 copies mis-mapped; 6 with a section whose pre-POG % dropped by more than 1 points/);
    const copies = await page.$$eval('#summary tbody tr[data-filter]:not([data-filter=""])', (trs) => trs.map((tr) => Number(tr.children[1]?.textContent)));
    expect(copies.slice(0, 5)).toEqual([12, 12, 12, 12, 12 + 15 - 3]);
    expect(await cardIds()).toHaveLength(25);
    expect(await page.textContent('#page-count')).toBe('3');
    await page.click('#next');
    await page.click('#next');
    expect(await cardIds()).toEqual(Array.from({ length: 10 }, (_, k) => 1050 + k));
    expect(await page.isDisabled('#next')).toBe(true);
    await page.selectOption('#comment-filter', String(COMMENTS.indexOf('Same POG Name but Different Section')));
    expect(await cardIds()).toEqual(Array.from({ length: 12 }, (_, k) => 1001 + 5 * k));
    // The section that has the comment is outlined, not the copy's other sections.
    expect(await page.$$eval('#cards table.section.match tr.comment-row td', (tds) => tds.map((td) => td.textContent))).toEqual(Array(12).fill('Same POG Name but Different Section'));
    expect(await page.$$eval('#cards table.section', (t) => t.length)).toBe(12 + 3);
    expect(await page.textContent('#page-number')).toBe('1');
    await page.selectOption('#comment-filter', '');
    await page.check('#drop-filter');
    expect(await cardIds()).toEqual([1000, 1010, 1020, 1030, 1040, 1050]);
    expect(await page.$$eval('#cards .card .badge.drop', (b) => b.length)).toBe(6);
    expect(await page.$$eval('#cards td.change.down.beyond', (tds) => tds.map((td) => td.textContent))).toEqual(Array(6).fill('-25'));
    await page.uncheck('#drop-filter');
    await page.click('#summary tr[data-filter=""]');
    expect(await page.textContent('#shown-count')).toBe('60');
    expect(await page.$$eval('#delta-chart g[data-band] rect', (r) => r.length)).toBe(11);
    expect(requests.every((u) => u.startsWith('file://'))).toBe(true);
  });

  it('enlarges an original that is not where the page expects it as the thumbnail, and says so', async () => {
    const [row] = sampleRows() as [AnalysisRow];
    const path = join(dir, 'scans_moved.html');
    await writeScanPage(path, [row], {
      thumbnails: { source: { thumbnails: new Map([[row.source_scan_id, thumb]]) }, target: { thumbnails: new Map([[row.target_scan_id as number, thumb]]) } },
      originals: { source: new Map([[row.source_scan_id, { path: join(dir, 'images', 'gone.jpg') }]]) },
      pageDir: dir,
    });
    await page.goto(pathToFileURL(path).href);
    await page.click('#cards button.enlarge');
    await expect.poll(() => page.textContent('#viewer-source figcaption')).toMatch(/the original is not at images\/gone\.jpg beside this page \(moved\?\), so this is its 160×100 thumbnail enlarged/);
    expect(await page.textContent('#viewer-target figcaption')).toMatch(/not on disk for this run/);
    expect(await page.$eval('#viewer-source img', (i) => (i as HTMLImageElement).naturalWidth)).toBe(160);
    await page.click('#viewer-close');
    expect(await page.isVisible('#viewer')).toBe(false);
  });

  it('paints the first cards of 5,000 pairs quickly, and searches all of them', async () => {
    const rows: AnalysisRow[] = [];
    const source = new Map<number, Thumbnail>();
    const target = new Map<number, Thumbnail>();
    for (let i = 0; i < 5000; i++) {
      const row = analysisRow(i, COMMENTS[i % COMMENTS.length] as AnalysisRow['comment'], { target_pre_pog_percentage: 40 + (i % 60) });
      rows.push(row);
      if (i % 3 === 0) rows.push({ ...row, source_section_name: `bay ${i}`, target_section_name: `bay ${i}` });
      // A copy's image is the source's bytes: the same thumbnail.
      const picture = distinctThumbnail(thumb, i);
      source.set(row.source_scan_id, picture);
      if (row.target_scan_id !== null) target.set(row.target_scan_id, picture);
    }
    const path = join(dir, 'scans_5000.html');
    const writeStarted = performance.now();
    await writeScanPage(path, rows, { thumbnails: { source: { thumbnails: source }, target: { thumbnails: target } } });
    const writeMs = performance.now() - writeStarted;
    const bytes = (await stat(path)).size;
    const fresh = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    try {
      await fresh.goto(pathToFileURL(path).href, { waitUntil: 'commit' });
      await fresh.waitForSelector('#cards .card img');
      // Milliseconds since the navigation started, measured by the browser itself.
      const cardsMs = await fresh.evaluate(() => performance.now());
      const paintMs = await fresh.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null);
      const searchMs = await fresh.evaluate(() => {
        const box = document.getElementById('search') as HTMLInputElement;
        const started = performance.now();
        box.value = 'bay 4998';
        box.dispatchEvent(new Event('input'));
        return performance.now() - started;
      });
      console.log(
        `reports.scan-page: 5,000 pairs (${rows.length} rows, ${(bytes / 1e6).toFixed(1)} MB page written in ${Math.round(writeMs)} ms): ` +
          `first contentful paint ${paintMs === null ? 'n/a' : Math.round(paintMs)} ms, first cards ${Math.round(cardsMs)} ms, search ${Math.round(searchMs)} ms`,
      );
      expect(await fresh.$$eval('#cards .card', (c) => c.length)).toBe(1);
      expect(await fresh.$eval('#cards .card', (c) => c.getAttribute('data-source'))).toBe('5998');
      await fresh.fill('#search', '');
      expect(await fresh.$$eval('#cards .card', (c) => c.length)).toBe(50);
      expect(await fresh.textContent('#page-count')).toBe('100');
      // The bound is generous for a loaded machine; the figure printed above is the one to read (under 2 s here).
      expect(cardsMs).toBeLessThan(6000);
      expect(searchMs).toBeLessThan(1000);
    } finally {
      await fresh.close();
    }
  });
});
