import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMENTS, type AnalysisRow } from '../src/reports/analysis-columns.js';
import { escapeHtml, formatAnalysisHtml, writeAnalysisHtml } from '../src/reports/html.js';
import { makeThumbnail, type ScanPictures, type Thumbnail } from '../src/reports/thumbnail.js';
import { drawShelfPng } from '../src/sandbox/png.js';
import { analysisRow, HOSTILE_NAMES, sampleRows } from './helpers/analysis-rows.js';
import { distinctThumbnail } from './helpers/images.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`reports.html: SKIPPED the browser tests: ${CHROMIUM} is missing (apt-get install -y chromium)`);

/** The fills of platform.md section 6 as a browser reports them. */
const EXPECTED_RGB: Record<string, string> = {
  'Wrong POG Name Mapping': 'rgb(255, 204, 204)',
  'Same POG Name but Different Section': 'rgb(255, 230, 204)',
  'Target Has Additional Section (Source Does Not)': 'rgb(255, 255, 204)',
  'Target Has Higher POG% Than Source': 'rgb(204, 230, 255)',
  'No Issues': 'rgb(204, 255, 204)',
  'Target Scan Missing': 'rgb(221, 221, 221)',
  'Target Not Processed': 'rgb(221, 221, 221)',
  'Target Processing Failed': 'rgb(221, 221, 221)',
  'Section Missing in Target': 'rgb(221, 221, 221)',
};

const perComment = [3, 2, 1, 4, 6, 1, 2, 1, 2];
const rows = sampleRows(perComment);

async function thumbnails(): Promise<{ source: ScanPictures; target: ScanPictures }> {
  const source = new Map<number, Thumbnail>();
  const target = new Map<number, Thumbnail>();
  for (const [i, row] of rows.entries()) {
    const png = drawShelfPng({ planogramId: 1, sectionId: i, planogramName: 'P', sectionName: `S${i}`, variant: i });
    source.set(row.source_scan_id, await makeThumbnail(png));
    // Some copies have no image: the row says so instead of breaking.
    if (row.target_scan_id !== null && i % 3 !== 0) target.set(row.target_scan_id, await makeThumbnail(png));
  }
  return { source: { thumbnails: source }, target: { thumbnails: target } };
}

describe('HTML report text', () => {
  it('escapes everything that comes from data and references nothing outside the file', async () => {
    const html = formatAnalysisHtml(rows, { facts: [['Source', '<b>prod</b> & "co"']], thumbnails: await thumbnails() });
    // Booleans, not toMatch: a failure must not print a megabyte of page.
    expect(html.includes('<script>window.pwned')).toBe(false);
    expect(html.includes(escapeHtml('<script>window.pwned = 1</script>'))).toBe(true);
    expect(html.includes('&#60;b&#62;prod&#60;/b&#62; &#38; &#34;co&#34;')).toBe(true);
    expect(html.match(/<script>/g)).toHaveLength(1);
    expect(/(src|href)=["']?(https?:)?\/\//i.test(html)).toBe(false);
    expect(/url\((?!["']?data:image\/)/.test(html)).toBe(false);
  });

  it('scales PNG thumbnails down and embeds each scan\'s image once however many rows show it', async () => {
    const png = drawShelfPng({ planogramId: 1, sectionId: 1, planogramName: 'P', sectionName: 'S', variant: 1 });
    const thumb = await makeThumbnail(png);
    expect([thumb.width, thumb.height]).toEqual([160, 100]);
    expect(thumb.dataUri.length).toBeLessThan(20_000);
    const big = drawShelfPng({ planogramId: 1, sectionId: 1, planogramName: 'P', sectionName: 'S', variant: 1, width: 1600, height: 1000 });
    expect((await makeThumbnail(big)).width).toBe(160);
    await expect(makeThumbnail(Buffer.from('<svg onload="alert(1)"></svg>'))).rejects.toThrow(/not a JPEG, PNG, WebP or GIF/);
    const twice = [rows[0], { ...rows[0], source_section_name: 'another section' }] as typeof rows;
    const html = formatAnalysisHtml(twice, { thumbnails: { source: { thumbnails: new Map([[twice[0]!.source_scan_id, thumb]]) }, target: { thumbnails: new Map() } } });
    expect(html.split(thumb.dataUri).length).toBe(2);
  });

  it('says in place of a missing picture why there is none, and shows a video as its name and size', () => {
    const [first] = rows as [(typeof rows)[0]];
    const html = formatAnalysisHtml([first], {
      thumbnails: {
        source: { thumbnails: new Map(), videos: new Map([[first.source_scan_id, { name: 'aisle<3>.mp4', bytes: 300 * 1024 * 1024 }]]) },
        target: { thumbnails: new Map(), failures: new Map([[first.target_scan_id as number, { code: 'NOT_FOUND', reason: 'the storage answered 404' }]]) },
      },
    });
    expect(html).toContain('video aisle&#60;3&#62;.mp4 (300 MB)');
    expect(html).toContain('no target image: the storage answered 404 (NOT_FOUND)');
  });
});

describe.skipIf(!haveChromium)('HTML report in headless Chromium', () => {
  let dir: string;
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  let url: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'scancopy-html-'));
    const path = join(dir, 'analysis_20261201_120000.html');
    await writeAnalysisHtml(path, rows, { title: 'scancopy analysis 20261201_120000', thumbnails: await thumbnails() });
    url = pathToFileURL(path).href;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(url);
  });
  afterAll(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Cell text of one column, found by its header's CSV name, for every row. */
  const column = (name: string): Promise<Array<string | null | undefined>> =>
    page.$$eval(
      '#analysis',
      ([table], header) => {
        const at = Array.from((table as HTMLTableElement).tHead!.rows[0]!.cells).findIndex((th) => th.getAttribute('data-column') === header);
        return Array.from((table as HTMLTableElement).tBodies[0]!.rows).map((tr) => (at === -1 ? undefined : tr.cells[at]?.textContent));
      },
      name,
    );

  it('shows one table row per analysis row, each in its comment\'s colour, and runs no injected script', async () => {
    const comments = await column('comment');
    const backgrounds = await page.$$eval('#analysis tbody tr', (trs) => trs.map((tr) => getComputedStyle(tr).backgroundColor));
    const shown = comments.map((comment, i) => ({ comment, background: backgrounds[i] }));
    expect(shown).toHaveLength(rows.length);
    shown.forEach((row, i) => {
      expect(row.comment).toBe(rows[i]?.comment);
      expect(row.background).toBe(EXPECTED_RGB[rows[i]?.comment as string]);
    });
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(new Set(await column('source_section_name'))).toEqual(new Set(HOSTILE_NAMES));
    expect(await column('source_scan_id')).toEqual(rows.map((r) => String(r.source_scan_id)));
    expect(requests).toEqual([url]);
  });

  it('names the columns for people, the CSV\'s name in each header\'s tooltip', async () => {
    const headers = await page.$$eval('#analysis thead th[data-column]', (ths) => ths.map((th) => [th.getAttribute('data-column'), th.textContent]));
    expect(headers.slice(0, 3)).toEqual([
      ['source_scan_id', 'Source scan'],
      ['target_scan_id', 'Target scan'],
      ['comment', 'Comment'],
    ]);
    expect(Object.fromEntries(headers)).toMatchObject({ source_planogram_name: 'Source planogram', target_pre_pog_percentage: 'Target pre-POG %', target_hole_count: 'Target holes', MAv2_Map_by: 'Target mapped by' });
    expect(new Set(headers.map(([, label]) => label)).size).toBe(headers.length);
  });

  it('summarises counts per comment in a table and an SVG bar per comment', async () => {
    const summary = await page.$$eval('#summary tbody tr[data-filter]:not([data-filter=""])', (trs) =>
      trs.map((tr) => [tr.getAttribute('data-filter'), Number(tr.querySelectorAll('td')[2]?.textContent)]),
    );
    expect(summary).toEqual(COMMENTS.map((c, i) => [c, perComment[i]]));
    const bars = await page.$$eval('#chart g rect', (rects) => rects.map((r) => [r.getAttribute('fill'), Number(r.getAttribute('width'))]));
    expect(bars).toHaveLength(COMMENTS.length);
    expect(bars[4]?.[1]).toBeGreaterThan(bars[0]?.[1] as number);
  });

  it('filters rows by comment from the select and from a click on the summary', async () => {
    const visible = () =>
      page.$$eval('#analysis tbody tr', (trs) => trs.filter((tr) => (tr as HTMLElement).offsetParent !== null).map((tr) => tr.getAttribute('data-comment')));
    await page.selectOption('#comment-filter', 'No Issues');
    expect(await visible()).toEqual(Array(6).fill('No Issues'));
    expect(await page.textContent('#shown-count')).toBe('6');
    await page.click('#summary tr[data-filter="Target Has Higher POG% Than Source"]');
    expect(await visible()).toEqual(Array(4).fill('Target Has Higher POG% Than Source'));
    await page.selectOption('#comment-filter', '');
    expect(await visible()).toHaveLength(rows.length);
  });

  it('shows the source and target first images side by side as embedded thumbnails', async () => {
    const cells = await page.$$eval('#analysis tbody tr', (trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('.thumb')).map((t) => (t.classList.contains('none') ? 'none' : getComputedStyle(t).backgroundImage.slice(0, 27)))),
    );
    expect(cells).toHaveLength(rows.length);
    cells.forEach((pair, i) => {
      expect(pair[0]).toBe('url("data:image/jpeg;base64');
      expect(pair[1]).toBe(rows[i]?.target_scan_id !== null && i % 3 !== 0 ? 'url("data:image/jpeg;base64' : 'none');
    });
  });

  it('narrows the rows to a search by scan id, planogram or section, together with the comment filter', async () => {
    const visibleIds = () =>
      page.$$eval('#analysis tbody tr', (trs) => trs.filter((tr) => (tr as HTMLElement).offsetParent !== null).map((tr) => tr.querySelector('td.num')?.textContent));
    await page.fill('#search', String(rows[3]?.source_scan_id));
    expect(await visibleIds()).toEqual([String(rows[3]?.source_scan_id)]);
    expect(await page.textContent('#shown-count')).toBe('1');
    await page.fill('#search', 'ÜNÏCÖDÉ');
    const unicode = rows.filter((r) => r.source_section_name === 'Ünïcödé ☕ Bay').map((r) => String(r.source_scan_id));
    expect(unicode.length).toBeGreaterThan(1);
    expect(await visibleIds()).toEqual(unicode);
    await page.selectOption('#comment-filter', rows.find((r) => r.source_section_name === 'Ünïcödé ☕ Bay')?.comment as string);
    expect((await visibleIds()).length).toBeLessThan(unicode.length);
    await page.selectOption('#comment-filter', '');
    await page.fill('#search', '');
    expect(await visibleIds()).toHaveLength(rows.length);
  });

  it('sorts by a column on a click on its header, the other way on a second click', async () => {
    const ids = rows.map((r) => r.source_scan_id);
    await page.click('#analysis thead th[data-column="source_scan_id"]');
    expect((await column('source_scan_id')).map(Number)).toEqual([...ids].sort((a, b) => a - b));
    await page.click('#analysis thead th[data-column="source_scan_id"]');
    expect((await column('source_scan_id')).map(Number)).toEqual([...ids].sort((a, b) => b - a));
    await page.click('#analysis thead th[data-column="comment"]');
    const comments = await column('comment');
    expect(comments).toEqual([...comments].sort((a, b) => (a as string).localeCompare(b as string)));
    await page.click('#analysis thead th[data-column="source_scan_id"]');
    expect((await column('source_scan_id')).map(Number)).toEqual([...ids].sort((a, b) => a - b));
  });

  it('counts copies, not rows, in the scan-level summary', async () => {
    const misMapped = rows.filter((r) => COMMENTS.indexOf(r.comment) < 3).length;
    expect(await page.textContent('#scan-summary')).toMatch(new RegExp(`^${misMapped} of ${rows.length} copies mis-mapped;`));
  });

  it('pages the rows, 100 at a time, the filters and the sort over all of them', async () => {
    const many = sampleRows(perComment.map((n) => n * 12));
    const path = join(dir, 'analysis_many.html');
    await writeAnalysisHtml(path, many);
    const other = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    try {
      await other.goto(pathToFileURL(path).href);
      const ids = (): Promise<number[]> => other.$$eval('#analysis tbody tr', (trs) => trs.map((tr) => Number(tr.querySelector('td.num')?.textContent)));
      expect(await ids()).toEqual(many.slice(0, 100).map((r) => r.source_scan_id));
      expect(await other.textContent('#page-count')).toBe(String(Math.ceil(many.length / 100)));
      await other.click('#next');
      expect(await ids()).toEqual(many.slice(100, 200).map((r) => r.source_scan_id));
      await other.click('#analysis thead th[data-column="source_scan_id"]');
      await other.click('#analysis thead th[data-column="source_scan_id"]');
      expect(await other.textContent('#page-number')).toBe('1');
      expect(await ids()).toEqual(many.map((r) => r.source_scan_id).sort((a, b) => b - a).slice(0, 100));
      await other.selectOption('#comment-filter', 'No Issues');
      expect(await other.textContent('#shown-count')).toBe(String(6 * 12));
      expect(new Set(await other.$$eval('#analysis tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-comment'))))).toEqual(new Set(['No Issues']));
    } finally {
      await other.close();
    }
  });

  it('shows the first rows of 5,000 pairs quickly', async () => {
    const big = Array.from({ length: 5000 }, (_, i) => analysisRow(i, COMMENTS[i % COMMENTS.length] as AnalysisRow['comment']));
    const base = await makeThumbnail(drawShelfPng({ planogramId: 1, sectionId: 1, planogramName: 'P', sectionName: 'S', variant: 1, width: 1600, height: 1000 }));
    const source = new Map<number, Thumbnail>();
    const target = new Map<number, Thumbnail>();
    for (const [i, row] of big.entries()) {
      // A copy's image is the source's bytes: the same thumbnail.
      source.set(row.source_scan_id, distinctThumbnail(base, i));
      if (row.target_scan_id !== null) target.set(row.target_scan_id, distinctThumbnail(base, i));
    }
    const path = join(dir, 'analysis_5000.html');
    await writeAnalysisHtml(path, big, { thumbnails: { source: { thumbnails: source }, target: { thumbnails: target } } });
    const other = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    try {
      await other.goto(pathToFileURL(path).href, { waitUntil: 'commit' });
      await other.waitForSelector('#analysis tbody tr .thumb');
      const rowsMs = await other.evaluate(() => performance.now());
      const paintMs = await other.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null);
      console.log(`reports.html: 5,000 pairs (${((await stat(path)).size / 1e6).toFixed(1)} MB): first contentful paint ${paintMs === null ? 'n/a' : Math.round(paintMs)} ms, first rows ${Math.round(rowsMs)} ms`);
      expect(await other.$$eval('#analysis tbody tr', (trs) => trs.length)).toBe(100);
      // Generous for a loaded machine; the printed figure is the one to read.
      expect(rowsMs).toBeLessThan(6000);
    } finally {
      await other.close();
    }
  });

  it('renders a screenshot that is not blank', async () => {
    const shot = PNG.sync.read(await page.screenshot({ fullPage: false }));
    const distinct = new Set<number>();
    for (let i = 0; i < shot.data.length; i += 4) distinct.add(shot.data.readUInt32BE(i));
    expect(distinct.size).toBeGreaterThan(200);
    expect((await readFile(new URL(url))).length).toBeGreaterThan(10_000);
  });
});
