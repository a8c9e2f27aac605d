/**
 * The scan-level page of a real analysis, in headless Chromium: source scans whose first
 * images are camera-sized JPEGs (3 to 12 MB, one turned by EXIF), demo PNGs and one scan of
 * two files, copied by copyScans to a target that mis-maps half the scans, analysed with a
 * download folder of the source scans (their originals linked, not fetched again) and
 * keepImages (the target's originals kept). Every card shows both images, a click enlarges
 * both at full resolution, the cells that differ are marked, search and sort narrow and
 * order the cards; a screenshot is written for people to look at.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openInstance, type Instance } from '../src/platform/instance.js';
import { selectScansWithFiles } from '../src/platform/queries.js';
import { drawShelfPng, type DrawShelfOptions } from '../src/sandbox/png.js';
import { readImageTruth, withTruthComment } from '../src/sandbox/jpeg.js';
import { analyzeScans, type AnalyzeEvent, type AnalyzeResult } from '../src/workflows/analyze.js';
import { copyScans } from '../src/workflows/copy.js';
import { downloadScanImages } from '../src/workflows/download.js';
import { noisyJpeg } from './helpers/images.js';
import { rawApi, startTestSandboxPair, type TestSandboxPair } from './helpers/sandbox.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`analyze.scan-page: SKIPPED: ${CHROMIUM} is missing (apt-get install -y chromium)`);

const SCREENSHOT = fileURLToPath(new URL('../testResults/screenshots/scan-page.png', import.meta.url));

/** Camera-sized noise JPEGs, made once per machine: encoding a 4000x3000 one takes a second. */
const CAMERA_JPEGS = [
  { width: 2400, height: 1800, seed: 11 },
  { width: 3200, height: 2400, seed: 12 },
  { width: 4000, height: 3000, seed: 13, orientation: 6 },
  { width: 2400, height: 1800, seed: 14 },
] as const;

async function cameraJpeg(spec: (typeof CAMERA_JPEGS)[number]): Promise<Buffer> {
  const dir = join(tmpdir(), 'scancopy-test-camera-jpegs');
  const path = join(dir, `${spec.width}x${spec.height}_${spec.seed}_${'orientation' in spec ? spec.orientation : 1}.jpg`);
  const cached = await readFile(path).catch(() => undefined);
  if (cached) return cached;
  const bytes = await noisyJpeg(spec);
  await mkdir(dir, { recursive: true });
  await writeFile(`${path}.${process.pid}`, bytes);
  await rename(`${path}.${process.pid}`, path);
  return bytes;
}

describe.skipIf(!haveChromium)('the scan-level page of a real analysis with camera-sized images', () => {
  let pair: TestSandboxPair;
  let source: Instance;
  let target: Instance;
  let dir: string;
  let result: AnalyzeResult;
  let browser: Browser;
  let page: Page;
  const events: AnalyzeEvent[] = [];
  const requests: string[] = [];
  /** Source scan id -> the byte sizes of its files, in order. */
  const sizes = new Map<number, number[]>();
  let multiFile: number;
  let rotated: number;

  beforeAll(async () => {
    pair = await startTestSandboxPair({ scans: 6, target: { misMapRate: 0.5 } });
    dir = await mkdtemp(join(tmpdir(), 'scancopy-scan-page-'));
    const open = (name: string, s: typeof pair.source): Promise<Instance> =>
      openInstance({ name, apiUrl: s.apiUrl, dbUrl: s.dbUrl, username: s.username, password: s.password });
    [source, target] = await Promise.all([open('src', pair.source), open('tgt', pair.target)]);
    const demo = await selectScansWithFiles(source.db, (await pair.source.db.query<{ id: number }>('SELECT id FROM realograms_implementation_scan ORDER BY id')).map((r) => Number(r.id)));
    const storeId = demo[0]!.storeId;
    // The demo scans' sections, read from their images' truth, so the camera JPEGs are recognised as real sections.
    const truths: DrawShelfOptions[] = [];
    for (const scan of demo) {
      const file = await source.api.downloadFile(scan.files[0]!.fileId);
      const truth = readImageTruth(file.bytes);
      if (truth) truths.push({ planogramId: truth.planogram_id, sectionId: truth.section_id, planogramName: truth.planogram_name, sectionName: truth.section_name, variant: 7 });
    }
    expect(truths.length).toBeGreaterThanOrEqual(4);
    const raw = await rawApi(pair.source);
    const create = async (files: Array<{ bytes: Buffer; name: string; type: string }>): Promise<number> => {
      const ids: number[] = [];
      for (const f of files) ids.push(await raw.uploadId(f.bytes, f.name, f.type));
      const res = await raw.create({ store: storeId, files: ids });
      expect(res.status).toBe(201);
      const id = ((await res.json()) as { id: number }).id;
      sizes.set(id, files.map((f) => f.bytes.length));
      return id;
    };
    const camera = await Promise.all(CAMERA_JPEGS.map(cameraJpeg));
    const made: number[] = [];
    for (const [i, jpeg] of camera.slice(0, 3).entries()) made.push(await create([{ bytes: withTruthComment(jpeg, truths[i]!), name: `shelf_${i}.jpg`, type: 'image/jpeg' }]));
    rotated = made[2] as number;
    multiFile = await create([
      { bytes: withTruthComment(camera[3]!, truths[3]!), name: 'bay_left.jpg', type: 'image/jpeg' },
      { bytes: drawShelfPng({ ...truths[0]!, variant: 8, width: 1280, height: 800 }), name: 'bay_right.png', type: 'image/png' },
    ]);
    made.push(multiFile);
    for (const bytes of sizes.values()) expect(bytes[0]).toBeGreaterThan(3_000_000);
    expect(Math.max(...[...sizes.values()].map((b) => b[0] as number))).toBeGreaterThan(9_000_000);
    const scanIds = [...made, ...demo.slice(0, 3).map((s) => s.id)];

    const copied = await copyScans({
      source: { apiUrl: pair.source.apiUrl, api: source.api, db: source.db },
      target: { apiUrl: pair.target.apiUrl, api: target.api, db: target.db },
      scanIds,
      targetStoreId: storeId,
      mode: 'auto',
      resultsDir: join(dir, 'copies'),
    });
    expect(copied).toMatchObject({ created: scanIds.length, failed: 0 });
    // The source's images on disk, as `scancopy download` leaves them: analysis links them instead of fetching.
    const downloaded = await downloadScanImages({ source, scanIds, outDir: join(dir, 'downloaded') });
    result = await analyzeScans(
      {
        source: { db: source.db, images: source.api, name: 'src' },
        target: { db: target.db, images: target.api, name: 'tgt' },
        pairs: copied.mapping.map((m) => ({ sourceId: m.sourceScanId, targetId: m.targetScanId })),
        runDir: copied.runDir,
        timestamp: copied.files.ts,
        waitMs: 60_000,
        pollMs: 100,
        sourceImageFolders: [downloaded.outDir],
        keepImages: true,
      },
      { onEvent: (e) => events.push(e) },
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(pathToFileURL(result.files.scansHtml).href);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([source?.close(), target?.close()]);
    await pair?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const cardIds = (): Promise<number[]> => page.$$eval('#cards .card', (cards) => cards.map((c) => Number(c.getAttribute('data-source'))));

  it('shows a card per pair with both first images, each decoded by the browser, the sources\' made from the download folder', async () => {
    expect(await cardIds()).toHaveLength(result.pairs);
    const shots = await page.$$eval('#cards .card', (cards) =>
      cards.map((c) => Array.from(c.querySelectorAll('.shots img')).map((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth)),
    );
    for (const widths of shots) {
      expect(widths).toHaveLength(2);
      for (const w of widths) expect(w).toBeGreaterThan(0);
    }
    const done = events.filter((e) => e.type === 'thumbnails-done');
    expect(done.find((e) => e.side === 'source')).toMatchObject({ fromDisk: result.pairs, failed: 0 });
    expect(done.find((e) => e.side === 'target')).toMatchObject({ fetched: result.pairs, failed: 0 });
    // Nothing but the page itself and the originals beside it.
    expect(requests.every((u) => u.startsWith('file://'))).toBe(true);
  });

  it('enlarges both images of a pair at full resolution, the EXIF-turned one upright, scrolling together at actual size', async () => {
    const card = page.locator(`#cards .card[data-source="${rotated}"]`);
    await card.locator('button.enlarge').first().click();
    await expect.poll(() => page.isVisible('#viewer')).toBe(true);
    const sizesShown = async (): Promise<Array<[number, number]>> =>
      page.$$eval('#viewer img', (imgs) => imgs.map((i) => [(i as HTMLImageElement).naturalWidth, (i as HTMLImageElement).naturalHeight] as [number, number]));
    await expect.poll(sizesShown, { timeout: 20_000 }).toEqual([
      [3000, 4000],
      [3000, 4000],
    ]);
    expect(await page.textContent('#viewer-source figcaption')).toMatch(/the original, 3000×4000/);
    expect(await page.textContent('#viewer-target figcaption')).toMatch(/the original, 3000×4000/);
    await page.click('#viewer-actual');
    const shownWidth = await page.$eval('#viewer-source img', (i) => i.getBoundingClientRect().width);
    expect(shownWidth).toBeGreaterThan(2000);
    // The two originals scroll together.
    await page.$eval('#viewer-source', (pane) => pane.scrollTo(700, 1500));
    await expect.poll(() => page.$eval('#viewer-target', (pane) => [pane.scrollLeft, pane.scrollTop])).toEqual([700, 1500]);
    await page.keyboard.press('Escape');
    expect(await page.isVisible('#viewer')).toBe(false);
    // The originals linked are the run's files: the download folder's and the kept copies in <run>/images/target.
    const kept = await stat(join(result.files.scansHtml, '..', 'images', 'target'));
    expect(kept.isDirectory()).toBe(true);
  });

  it('marks the cells that differ on the mis-mapped copies and none on the copies without issues', async () => {
    const marks = await page.$$eval('#cards .card', (cards) =>
      cards.map((c) => ({
        comment: c.querySelector('header .comment')?.textContent,
        differing: Array.from(c.querySelectorAll('tr[data-differs] th')).map((th) => th.textContent),
        marked: c.querySelectorAll('td.diff').length,
      })),
    );
    const misMapped = marks.filter((m) => /Wrong POG Name|Different Section|Additional Section/.test(m.comment ?? ''));
    expect(misMapped.length).toBeGreaterThan(0);
    for (const m of misMapped) {
      expect(m.marked).toBeGreaterThanOrEqual(2);
      const expected = /Wrong POG/.test(m.comment ?? '') ? 'Planogram' : /Different Section/.test(m.comment ?? '') ? 'Section' : 'Additional section';
      expect(m.differing).toContain(expected);
    }
    for (const m of marks.filter((x) => x.comment === 'No Issues')) expect(m.marked).toBe(0);
    const cells = await page.$$eval('td.diff', (tds) => tds.map((td) => getComputedStyle(td).outlineColor));
    expect(new Set(cells)).toEqual(new Set(['rgb(204, 0, 0)']));
  });

  it('narrows the cards to a search by scan id or planogram, and sorts them by a figure', async () => {
    await page.fill('#search', String(multiFile));
    expect(await cardIds()).toEqual([multiFile]);
    expect(await page.$$eval('#cards .card table.section', (t) => t.length)).toBeGreaterThanOrEqual(1);
    const planogram = result.rows.find((r) => r.source_scan_id === multiFile)?.source_planogram_name as string;
    await page.fill('#search', planogram.toUpperCase());
    const withIt = [...new Set(result.rows.filter((r) => r.source_planogram_name === planogram || r.target_planogram_name === planogram).map((r) => r.source_scan_id))];
    expect((await cardIds()).sort()).toEqual(withIt.sort());
    await page.fill('#search', '');
    expect(await cardIds()).toHaveLength(result.pairs);
    await page.selectOption('#sort', { label: 'Source scan id' });
    await page.click('#sort-direction');
    const ids = await cardIds();
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    await page.selectOption('#sort', { label: 'Pre-POG % change (lowest section)' });
    await page.click('#sort-direction');
    const changes = await page.$$eval('#cards .card', (cards) =>
      cards.map((c) => {
        const values = Array.from(c.querySelectorAll('table.section tr:nth-child(4) td.change')).map((td) => td.textContent).filter((t) => t !== '');
        return values.length === 0 ? null : Math.min(...values.map(Number));
      }),
    );
    const known = changes.filter((c): c is number => c !== null);
    expect(known).toEqual([...known].sort((a, b) => a - b));
    expect(changes.slice(known.length).every((c) => c === null)).toBe(true);
  });

  it('writes a screenshot for people to look at', async () => {
    await page.selectOption('#sort', { label: 'Comment (most serious first)' });
    await mkdir(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    console.log(`analyze.scan-page: screenshot ${SCREENSHOT}`);
    expect((await stat(SCREENSHOT)).size).toBeGreaterThan(50_000);
  });
});
