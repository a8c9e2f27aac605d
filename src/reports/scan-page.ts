/**
 * `scans_<ts>.html`: the scan-level page, one card per source scan and its copy: their first
 * images side by side (a click enlarges both), each section pair's planogram and section
 * side by side with the cells that differ marked, the POG % and OSA % of both sides with
 * the change, and the comment. Searchable, filterable and sortable by any figure, with the
 * counts per copy and a histogram of the pre-POG % change.
 *
 * Fast with thousands of pairs: the pairs are one JSON block and the page's script renders
 * only the cards of the current page (paged, 50 at a time); a thumbnail shared by several
 * scans (a copy's image is the source's bytes) is embedded once.
 *
 * Full resolution: embedding every original would make a 300-pair page gigabytes, so the
 * page links an original only when this run has it on disk (a download folder), by a
 * relative path, and opens it in place; otherwise the enlarged view is the thumbnail, and
 * says so. The page still works offline; it loads nothing but those local files.
 */
import { pathToFileURL } from 'node:url';
import { isAbsolute, relative, sep } from 'node:path';
import { writeFileAtomic } from '../core/atomic-file.js';
import { COMMENTS, commentCssColour, countComments, isPogDrop, pogDelta, type AnalysisRow } from './analysis-columns.js';
import { deltaChartSvg } from './delta-chart.js';
import { escapeHtml, filterControls, formatBytes, pageStart, runFacts, SAFE_DATA_URI } from './html.js';
import { countScanPairs, groupScanPairs, scanSummaryText, type ScanPairRows } from './scan-pairs.js';
import { SCAN_PAGE_CSP, SCAN_PAGE_CSS, SCAN_PAGE_SCRIPT } from './scan-page-assets.js';
import type { ScanPictures } from './thumbnail.js';

/** A scan's first image as a file this run has on disk. */
export interface OriginalImage {
  path: string;
  bytes?: number;
}

export interface ScanPageOptions {
  /** @default 'scancopy scans' */
  title?: string;
  facts?: ReadonlyArray<readonly [label: string, value: string]>;
  /** @default 0 */
  pogTolerance?: number;
  thumbnails?: { source: ScanPictures; target: ScanPictures };
  /** Originals on disk by scan id; linked relative to `pageDir`. */
  originals?: { source?: ReadonlyMap<number, OriginalImage>; target?: ReadonlyMap<number, OriginalImage> };
  /** The folder the page is written to, for the originals' relative links. */
  pageDir?: string;
  /** File name of the row-level page beside this one, linked from the top. */
  rowsPage?: string;
  /** Cards per page. @default 50 */
  pageSize?: number;
}

/** The figures a reader can sort by, each with how a pair gives it; a copy with several sections sorts by its lowest change and its first section's values. */
export const SORT_FIELDS: ReadonlyArray<{ label: string; of(pair: ScanPairRows): number | null }> = [
  { label: 'Source scan id', of: (pair) => pair.sourceScanId },
  { label: 'Target scan id', of: (pair) => pair.targetScanId },
  { label: 'Comment (most serious first)', of: (pair) => COMMENTS.indexOf(pair.comment) },
  { label: 'Sections', of: (pair) => pair.rows.length },
  { label: 'Pre-POG % change (lowest section)', of: (pair) => lowestChange(pair, 'source_pre_pog_percentage', 'target_pre_pog_percentage') },
  { label: 'Post-POG % change (lowest section)', of: (pair) => lowestChange(pair, 'source_post_pog_percentage', 'target_post_pog_percentage') },
  { label: 'Pre-OSA % change (lowest section)', of: (pair) => lowestChange(pair, 'source_pre_osa_percentage', 'target_pre_osa_percentage') },
  { label: 'Post-OSA % change (lowest section)', of: (pair) => lowestChange(pair, 'source_post_osa_percentage', 'target_post_osa_percentage') },
  { label: 'Source pre-POG %', of: (pair) => firstValue(pair, 'source_pre_pog_percentage') },
  { label: 'Target pre-POG %', of: (pair) => firstValue(pair, 'target_pre_pog_percentage') },
  { label: 'Source pre-OSA %', of: (pair) => firstValue(pair, 'source_pre_osa_percentage') },
  { label: 'Target pre-OSA %', of: (pair) => firstValue(pair, 'target_pre_osa_percentage') },
];

function lowestChange(pair: ScanPairRows, source: keyof AnalysisRow, target: keyof AnalysisRow): number | null {
  const deltas = pair.rows.map((r) => pogDelta(r[source] as number | null, r[target] as number | null)).filter((d): d is number => d !== null);
  return deltas.length === 0 ? null : Math.min(...deltas);
}

function firstValue(pair: ScanPairRows, column: keyof AnalysisRow): number | null {
  const value = (pair.rows[0] as AnalysisRow)[column];
  return value === null || value === undefined ? null : Number(value);
}

type Pair2<T> = [source: T, target: T];

interface SectionData {
  comment: number;
  planogram: Pair2<string | null>;
  section: Pair2<string | null>;
  additional: Pair2<boolean | null>;
  prePog: Pair2<number | null>;
  postPog: Pair2<number | null>;
  preOsa: Pair2<number | null>;
  postOsa: Pair2<number | null>;
  /** OK, wandering, OOS, hole counts. */
  counts: Pair2<Array<number | null>>;
  drop: boolean;
}

interface PairData {
  source: number;
  target: number | null;
  comment: number;
  mapBy: string | null;
  drop: boolean;
  comments: number[];
  search: string;
  keys: Array<number | null>;
  sections: SectionData[];
}

interface ImageData {
  /** Index into `thumbs`. */
  thumb?: number;
  width?: number;
  height?: number;
  thumbWidth?: number;
  thumbHeight?: number;
  /** URL of the original, relative to the page. */
  full?: string;
  fullBytes?: string;
  /** Why there is no picture, or the video's name and size. */
  note?: string;
}

interface PageData {
  tolerance: number;
  pageSize: number;
  comments: readonly string[];
  pairs: PairData[];
  thumbs: string[];
  images: { source: Record<number, ImageData>; target: Record<number, ImageData> };
}

export function formatScanPage(rows: readonly AnalysisRow[], options: ScanPageOptions = {}): string {
  const title = options.title ?? 'scancopy scans';
  const tolerance = options.pogTolerance ?? 0;
  const pairs = groupScanPairs(rows, tolerance);
  const counts = countScanPairs(pairs);
  const summary = scanSummaryText(counts, tolerance);
  const data = pageData(pairs, options, tolerance);
  const copiesWith = COMMENTS.map((_, i) => data.pairs.filter((p) => p.comments.includes(i)).length);
  const rowCounts = countComments(rows);
  const link = options.rowsPage ? ` <a href="${escapeHtml(encodeURIComponent(options.rowsPage))}">All rows, one per section: ${escapeHtml(options.rowsPage)}</a>` : '';
  return `${pageStart(title, SCAN_PAGE_CSP, SCAN_PAGE_CSS)}
${runFacts(options.facts ?? [], counts.pairs, rows.length)}
<p class="nav">One card per source scan and its copy.${link}</p>
<p id="scan-summary"><b>${escapeHtml(summary.lead)}</b>${escapeHtml(summary.rest)}</p>
<div class="overview">
<table id="summary">
<thead><tr><th>Comment</th><th title="Copies with at least one section of this comment">Copies</th><th title="Section rows of this comment">Rows</th></tr></thead>
<tbody>
${rowCounts
  .map(
    (c, i) =>
      `<tr data-filter="${i}" title="Show only these copies"><td><span class="swatch" style="background:${commentCssColour(c.comment)}"></span>${escapeHtml(c.comment)}</td>` +
      `<td class="n">${copiesWith[i]}</td><td class="n">${c.count}</td></tr>`,
  )
  .join('\n')}
<tr data-filter=""><td><b>All</b></td><td class="n"><b>${counts.pairs}</b></td><td class="n"><b>${rows.length}</b></td></tr>
</tbody>
</table>
${deltaChartSvg(rows)}
</div>
<div class="controls">
${filterControls(
  `All copies (${counts.pairs})`,
  COMMENTS.map((c, i) => [String(i), `${c} (${copiesWith[i]})`]),
  `only copies with a pre-POG % drop of more than ${escapeHtml(tolerance)} points (${counts.dropped})`,
)}
<label for="sort">Sort by</label>
<select id="sort">
${SORT_FIELDS.map((f, i) => `<option value="${i}">${escapeHtml(f.label)}</option>`).join('\n')}
</select>
<button type="button" id="sort-direction" aria-label="Sort direction">ascending</button>
</div>
<div class="pager"><button type="button" id="prev">&#8592; previous</button> <span>page <b id="page-number">1</b> of <b id="page-count">1</b></span> <button type="button" id="next">next &#8594;</button>
<span class="shown">showing <b id="shown-count">${counts.pairs}</b> of ${counts.pairs} copies</span></div>
<div id="cards"></div>
<div id="viewer" hidden>
<div class="viewer-bar"><span id="viewer-title"></span> <button type="button" id="viewer-actual">actual size</button> <button type="button" id="viewer-close">close (Esc)</button></div>
<div class="viewer-panes"><figure id="viewer-source"></figure><figure id="viewer-target"></figure></div>
</div>
<script type="application/json" id="scan-data">${jsonForScript(data)}</script>
<script>${SCAN_PAGE_SCRIPT}</script>
</body>
</html>
`;
}

export async function writeScanPage(path: string, rows: readonly AnalysisRow[], options: ScanPageOptions = {}): Promise<void> {
  await writeFileAtomic(path, formatScanPage(rows, options));
}

/** JSON inside a script element: `<` escaped so that no string can close the element. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function pageData(pairs: readonly ScanPairRows[], options: ScanPageOptions, tolerance: number): PageData {
  const thumbs: string[] = [];
  const thumbIndex = new Map<string, number>();
  const images: PageData['images'] = { source: {}, target: {} };
  const addImage = (side: 'source' | 'target', scanId: number | null): void => {
    if (scanId === null || images[side][scanId] !== undefined) return;
    images[side][scanId] = imageData(side, scanId, options, thumbs, thumbIndex);
  };
  const data = pairs.map((pair): PairData => {
    addImage('source', pair.sourceScanId);
    addImage('target', pair.targetScanId);
    const sections = pair.rows.map((row) => sectionData(row, tolerance));
    return {
      source: pair.sourceScanId,
      target: pair.targetScanId,
      comment: COMMENTS.indexOf(pair.comment),
      mapBy: pair.rows.find((r) => r.MAv2_Map_by !== null)?.MAv2_Map_by ?? null,
      drop: pair.dropped,
      comments: [...new Set(sections.map((s) => s.comment))],
      search: searchText(pair),
      keys: SORT_FIELDS.map((field) => field.of(pair)),
      sections,
    };
  });
  return { tolerance, pageSize: options.pageSize ?? 50, comments: COMMENTS, pairs: data, thumbs, images };
}

function sectionData(row: AnalysisRow, tolerance: number): SectionData {
  return {
    comment: COMMENTS.indexOf(row.comment),
    planogram: [row.source_planogram_name, row.target_planogram_name],
    section: [row.source_section_name, row.target_section_name],
    additional: [row.source_is_additional_section, row.target_is_additional_section],
    prePog: [row.source_pre_pog_percentage, row.target_pre_pog_percentage],
    postPog: [row.source_post_pog_percentage, row.target_post_pog_percentage],
    preOsa: [row.source_pre_osa_percentage, row.target_pre_osa_percentage],
    postOsa: [row.source_post_osa_percentage, row.target_post_osa_percentage],
    counts: [
      [row.source_ok_count, row.source_wandering_count, row.source_oos_count, row.source_hole_count],
      [row.target_ok_count, row.target_wandering_count, row.target_oos_count, row.target_hole_count],
    ],
    drop: isPogDrop(row, tolerance),
  };
}

function searchText(pair: ScanPairRows): string {
  const parts = new Set<string>([String(pair.sourceScanId), pair.targetScanId === null ? '' : String(pair.targetScanId)]);
  for (const r of pair.rows) {
    for (const v of [r.source_planogram_name, r.target_planogram_name, r.source_section_name, r.target_section_name]) if (v !== null) parts.add(v);
  }
  return [...parts].join(' | ').toLowerCase();
}

function imageData(side: 'source' | 'target', scanId: number, options: ScanPageOptions, thumbs: string[], index: Map<string, number>): ImageData {
  const pictures = options.thumbnails?.[side];
  const out: ImageData = {};
  const thumb = pictures?.thumbnails.get(scanId);
  if (thumb && SAFE_DATA_URI.test(thumb.dataUri)) {
    let at = index.get(thumb.dataUri);
    if (at === undefined) {
      at = thumbs.push(thumb.dataUri) - 1;
      index.set(thumb.dataUri, at);
    }
    Object.assign(out, { thumb: at, width: thumb.sourceWidth, height: thumb.sourceHeight, thumbWidth: thumb.width, thumbHeight: thumb.height });
  } else {
    out.note = missingNote(pictures, scanId, side);
  }
  const original = options.originals?.[side]?.get(scanId);
  if (original && out.thumb !== undefined) {
    out.full = fileHref(original.path, options.pageDir);
    if (original.bytes !== undefined) out.fullBytes = formatBytes(original.bytes);
  }
  return out;
}

function missingNote(pictures: ScanPictures | undefined, scanId: number, side: string): string {
  if (!pictures) return `no ${side} image: thumbnails were not made`;
  const video = pictures.videos?.get(scanId);
  if (video) return `video ${video.name}${video.bytes === undefined ? '' : ` (${formatBytes(video.bytes)})`}`;
  const failure = pictures.failures?.get(scanId);
  return failure ? `no ${side} image: ${failure.reason} (${failure.code})` : `no ${side} image`;
}

/** A link to a local file: relative to the page when it can be (the run folder moves as a whole), else a file: URL. */
export function fileHref(path: string, pageDir: string | undefined): string {
  const rel = pageDir === undefined ? path : relative(pageDir, path);
  if (isAbsolute(rel)) return pathToFileURL(rel).href;
  return rel.split(sep).map(encodeURIComponent).join('/');
}
