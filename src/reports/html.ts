/**
 * `analysis_<ts>.html`: one self-contained page that works offline: the run's facts,
 * counts per comment with an inline-SVG bar chart, a filter by comment, and the analysis
 * table in the XLSX colours, each row with the source's and the copy's first image side
 * by side. Everything that comes from data is escaped; images are data: URIs, each picture
 * defined once in the style sheet however many rows and scans show it.
 */
import { writeFileAtomic } from '../core/atomic-file.js';
import { ANALYSIS_COLUMNS, columnLabel, COMMENTS, commentCssColour, countComments, isPogDrop, type AnalysisColumn, type AnalysisRow, type CommentCount } from './analysis-columns.js';
import { commentClass, CONTENT_SECURITY_POLICY, REPORT_CSS, REPORT_SCRIPT } from './html-assets.js';
import { countScanPairs, groupScanPairs, scanSummaryText } from './scan-pairs.js';
import type { ScanPictures } from './thumbnail.js';

export interface AnalysisHtmlOptions {
  /** @default 'scancopy analysis' */
  title?: string;
  /** Facts about the run shown under the title (instances, run folder, time), in order. */
  facts?: ReadonlyArray<readonly [label: string, value: string]>;
  /** Points of pre-POG % within which a copy's drop is not flagged; rows that drop by more get their own filter. @default 0 */
  pogTolerance?: number;
  /** First images by scan id (and why a scan has none); without this the table has no image column. */
  thumbnails?: { source: ScanPictures; target: ScanPictures };
  /** File name of the scan-level page beside this one, linked from the top. */
  scansPage?: string;
}

const ROWS_PER_PAGE = 100;
const NUMERIC = /(_id|_percentage|_count)$/;
/** The CSV's columns with the comment moved next to the ids, where a reader looks first. */
const LEADING: readonly AnalysisColumn[] = ['source_scan_id', 'target_scan_id', 'comment'];
const TABLE_COLUMNS: readonly AnalysisColumn[] = [...LEADING, ...ANALYSIS_COLUMNS.filter((c) => !LEADING.includes(c))];
/** The only images either page embeds: base64 raster data URIs (never SVG). */
export const SAFE_DATA_URI = /^data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/]+=*$/;

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Both pages' start, up to their heading: the policy that lets them load nothing from outside, their style, the title. */
export function pageStart(title: string, contentSecurityPolicy: string, css: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${css}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>`;
}

export function formatAnalysisHtml(rows: readonly AnalysisRow[], options: AnalysisHtmlOptions = {}): string {
  const title = options.title ?? 'scancopy analysis';
  const counts = countComments(rows);
  const images = options.thumbnails ? imageClasses(options.thumbnails) : undefined;
  const tolerance = options.pogTolerance ?? 0;
  const drops = rows.filter((row) => isPogDrop(row, tolerance)).length;
  return `${pageStart(title, CONTENT_SECURITY_POLICY, REPORT_CSS)}
${facts(options.facts ?? [], rows)}
${options.scansPage ? `<p class="nav">Scan by scan, with the images and the cells that differ: <a href="${escapeHtml(encodeURIComponent(options.scansPage))}">${escapeHtml(options.scansPage)}</a></p>` : ''}
<h2>Summary</h2>
${scanSummary(rows, tolerance)}
<div class="overview">
${summaryTable(counts, rows.length)}
${barChart(counts)}
</div>
<h2>Rows</h2>
<div class="controls">
${filterControls(
  `All comments (${rows.length})`,
  counts.map((c) => [c.comment, `${c.comment} (${c.count})`]),
  `only rows whose copy's pre-POG % dropped by more than ${escapeHtml(tolerance)} points (${drops})`,
)}
<span class="shown">showing <b id="shown-count">${rows.length}</b> of ${rows.length} rows</span>
</div>
<div class="pager"><button type="button" id="prev">&#8592; previous</button> <span>page <b id="page-number">1</b> of <b id="page-count">1</b>, ${ROWS_PER_PAGE} rows a page</span> <button type="button" id="next">next &#8594;</button></div>
<div class="table-wrap">
${analysisTable(rows, images, tolerance)}
</div>
${images ? `<style>${images.css}</style>\n` : ''}<script>${REPORT_SCRIPT.replace('ROWS_PER_PAGE', String(ROWS_PER_PAGE))}</script>
</body>
</html>
`;
}

/**
 * Both pages' search box, comment filter and pre-POG drop filter, by the ids their scripts
 * look for; `dropsHtml` is markup already (the tolerance escaped by the caller).
 */
export function filterControls(all: string, comments: ReadonlyArray<readonly [value: string, label: string]>, dropsHtml: string): string {
  return `<label for="search">Search</label>
<input type="search" id="search" placeholder="scan id, planogram or section" autocomplete="off">
<label for="comment-filter">Comment</label>
<select id="comment-filter">
<option value="">${escapeHtml(all)}</option>
${comments.map(([value, label]) => `<option value="${escapeHtml(value)}">${escapeHtml(label)}</option>`).join('\n')}
</select>
<label class="drops"><input type="checkbox" id="drop-filter"> ${dropsHtml}</label>`;
}

/** Writes the page atomically (temp name, fsync, rename). */
export async function writeAnalysisHtml(path: string, rows: readonly AnalysisRow[], options: AnalysisHtmlOptions = {}): Promise<void> {
  await writeFileAtomic(path, formatAnalysisHtml(rows, options));
}

function facts(list: ReadonlyArray<readonly [string, string]>, rows: readonly AnalysisRow[]): string {
  return runFacts(list, new Set(rows.map((r) => `${r.source_scan_id}>${r.target_scan_id ?? ''}`)).size, rows.length);
}

/** The run's facts under a page's title, with its counts of pairs and rows. */
export function runFacts(list: ReadonlyArray<readonly [string, string]>, pairs: number, rows: number): string {
  const all: Array<readonly [string, string]> = [...list, ['Scan pairs', String(pairs)], ['Rows', String(rows)]];
  return `<dl class="run">${all.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>`;
}

/** Counts per copy, not per row: "15 of 60 copies mis-mapped". */
function scanSummary(rows: readonly AnalysisRow[], tolerance: number): string {
  const text = scanSummaryText(countScanPairs(groupScanPairs(rows, tolerance)), tolerance);
  return `<p id="scan-summary"><b>${escapeHtml(text.lead)}</b>${escapeHtml(text.rest)}</p>`;
}

function summaryTable(counts: readonly CommentCount[], total: number): string {
  const share = (n: number): string => (total === 0 ? '0.0' : ((n / total) * 100).toFixed(1));
  const body = counts
    .map(
      (c) =>
        `<tr data-filter="${escapeHtml(c.comment)}" title="Show only these rows"><td><span class="swatch" style="background:${commentCssColour(c.comment)}"></span>${escapeHtml(c.comment)}</td>` +
        `<td>${escapeHtml(c.colour)}</td><td class="n">${c.count}</td><td class="n">${share(c.count)} %</td></tr>`,
    )
    .join('\n');
  return `<table id="summary">
<thead><tr><th>Comment</th><th>Colour</th><th>Rows</th><th>Share</th></tr></thead>
<tbody>
${body}
<tr data-filter=""><td><b>All</b></td><td></td><td class="n"><b>${total}</b></td><td class="n">100.0 %</td></tr>
</tbody>
</table>`;
}

/** Horizontal bars, one per comment, scaled to the largest count. */
function barChart(counts: readonly CommentCount[]): string {
  const labelWidth = 330;
  const barMax = 260;
  const rowHeight = 26;
  const width = labelWidth + barMax + 60;
  const height = counts.length * rowHeight + 10;
  const max = Math.max(1, ...counts.map((c) => c.count));
  const bars = counts.map((c, i) => {
    const y = 5 + i * rowHeight;
    const w = c.count === 0 ? 0 : Math.max(2, Math.round((c.count / max) * barMax));
    return (
      `<g><title>${escapeHtml(c.comment)}: ${c.count}</title>` +
      `<text x="${labelWidth - 8}" y="${y + 17}" text-anchor="end">${escapeHtml(c.comment)}</text>` +
      `<rect x="${labelWidth}" y="${y + 3}" width="${w}" height="${rowHeight - 8}" fill="${commentCssColour(c.comment)}" stroke="#666"/>` +
      `<text x="${labelWidth + w + 6}" y="${y + 17}">${c.count}</text></g>`
    );
  });
  return `<svg id="chart" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Rows per comment" font-size="12" font-family="system-ui, sans-serif">
<rect width="${width}" height="${height}" fill="#fafafa"/>
${bars.join('\n')}
</svg>`;
}

interface SideClasses {
  classes: ReadonlyMap<number, string>;
  pictures: ScanPictures;
}

interface ImageClasses {
  css: string;
  source: SideClasses;
  target: SideClasses;
}

/** One CSS class per scan image, so a scan shown in several rows embeds its image once. */
function imageClasses(thumbnails: NonNullable<AnalysisHtmlOptions['thumbnails']>): ImageClasses {
  // Class names by picture: a copy's image is its source's bytes, so most pictures serve two classes.
  const byPicture = new Map<string, string[]>();
  const classes = (side: 's' | 't', pictures: ScanPictures): SideClasses => {
    const out = new Map<number, string>();
    for (const [scanId, thumb] of pictures.thumbnails) {
      if (!Number.isSafeInteger(scanId) || !SAFE_DATA_URI.test(thumb.dataUri)) continue;
      const name = `img-${side}${scanId}`;
      out.set(scanId, name);
      byPicture.set(thumb.dataUri, [...(byPicture.get(thumb.dataUri) ?? []), name]);
    }
    return { classes: out, pictures };
  };
  const source = classes('s', thumbnails.source);
  const target = classes('t', thumbnails.target);
  const rules = [...byPicture].map(([uri, names]) => `${names.map((n) => `.${n}`).join(',')} { background-image: url("${uri}"); }`);
  return { css: `\n${rules.join('\n')}\n`, source, target };
}

function analysisTable(rows: readonly AnalysisRow[], images: ImageClasses | undefined, tolerance: number): string {
  const sortable = (c: AnalysisColumn): string =>
    `<th data-column="${c}" data-sort="${NUMERIC.test(c) ? 'num' : 'text'}" tabindex="0" title="Sort by this column (${c} in the CSV)">${escapeHtml(columnLabel(c))}</th>`;
  const header = [images ? '<th>First images (source | target)</th>' : '', ...TABLE_COLUMNS.map(sortable)].join('');
  const body = rows.map((row) => {
    const index = COMMENTS.indexOf(row.comment);
    const cells = TABLE_COLUMNS.map((c) => `<td${cellClass(c)}>${escapeHtml(cellText(row, c))}</td>`).join('');
    const pictures = images ? `<td><div class="thumbs">${thumb(images.source, row.source_scan_id, 'source')}${thumb(images.target, row.target_scan_id, 'target')}</div></td>` : '';
    const drop = isPogDrop(row, tolerance) ? ' data-drop="1"' : '';
    const search = [row.source_scan_id, row.target_scan_id, row.source_planogram_name, row.target_planogram_name, row.source_section_name, row.target_section_name]
      .filter((v) => v !== null)
      .join(' | ')
      .toLowerCase();
    return `<tr class="${commentClass(index)}" data-comment="${escapeHtml(row.comment)}" data-search="${escapeHtml(search)}"${drop}>${pictures}${cells}</tr>`;
  });
  // The rows wait in an inert template, and the script shows a page of them at a time: laying
  // out thousands of rows of images at once took the browser seconds.
  return `<table id="analysis">
<thead><tr>${header}</tr></thead>
<tbody></tbody>
</table>
<template id="analysis-rows">
${body.join('\n')}
</template>`;
}

function thumb(images: SideClasses, scanId: number | null, side: string): string {
  const name = scanId === null ? undefined : images.classes.get(scanId);
  if (name) return `<span class="thumb ${name}" role="img" aria-label="${side} scan ${escapeHtml(scanId)}, first image"></span>`;
  return `<span class="thumb none">${escapeHtml(scanId === null ? `no ${side} scan` : noImageText(images.pictures, scanId, side))}</span>`;
}

/** What stands in for a missing picture: a video's name and size, or why there is no image. */
function noImageText(pictures: ScanPictures, scanId: number, side: string): string {
  const video = pictures.videos?.get(scanId);
  if (video) return `video ${video.name}${video.bytes === undefined ? '' : ` (${formatBytes(video.bytes)})`}`;
  const failure = pictures.failures?.get(scanId);
  return failure ? `no ${side} image: ${failure.reason} (${failure.code})` : `no ${side} image`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit] as string}`;
}

function cellClass(column: AnalysisColumn): string {
  if (column === 'comment') return ' class="comment"';
  return NUMERIC.test(column) ? ' class="num"' : '';
}

function cellText(row: AnalysisRow, column: AnalysisColumn): string {
  const value = row[column];
  if (value === null) return '';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return String(value);
}
