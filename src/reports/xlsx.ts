/**
 * `analysis_with_comments_<ts>_highlighted.xlsx`: the analysis rows with each row filled in
 * its comment's colour (platform.md section 6), a bold frozen header with an autofilter and
 * the scan ids frozen at the left; a Scans sheet with one row per source scan and its copy;
 * and a Summary sheet that counts rows per comment and doubles as the colour legend.
 */
import type ExcelJS from 'exceljs';
import { writeFileAtomic } from '../core/atomic-file.js';
import { ANALYSIS_COLUMNS, commentStyle, countComments, pogDelta, type AnalysisRow } from './analysis-columns.js';
import { neutraliseCell } from './cells.js';
import { groupScanPairs, type ScanPairRows } from './scan-pairs.js';

export const ANALYSIS_SHEET = 'Analysis';
export const SCANS_SHEET = 'Scans';
export const SUMMARY_SHEET = 'Summary';

export const SCANS_COLUMNS = [
  'Source scan',
  'Target scan',
  'Sections',
  'Comment',
  'Source pre-POG %',
  'Target pre-POG %',
  'Pre-POG % change',
  'Source pre-OSA %',
  'Target pre-OSA %',
  'Pre-OSA % change',
] as const;

const MIN_WIDTH = 8;
const MAX_WIDTH = 60;

type Cell = string | number | boolean | null;

export async function formatAnalysisXlsx(rows: readonly AnalysisRow[]): Promise<Buffer> {
  // Loaded when a workbook is written: it is a fifth of a second of every CLI start otherwise.
  const { default: Excel } = await import('exceljs');
  const workbook = new Excel.Workbook();
  workbook.creator = 'scancopy';
  addAnalysisSheet(workbook, rows);
  addScansSheet(workbook, rows);
  addSummarySheet(workbook, rows);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** Writes the workbook atomically (temp name, fsync, rename). */
export async function writeAnalysisXlsx(path: string, rows: readonly AnalysisRow[]): Promise<void> {
  await writeFileAtomic(path, await formatAnalysisXlsx(rows));
}

function addAnalysisSheet(workbook: ExcelJS.Workbook, rows: readonly AnalysisRow[]): void {
  // The two scan ids stay in view while scrolling right through the sides' figures.
  const sheet = workbook.addWorksheet(ANALYSIS_SHEET, { views: [{ state: 'frozen', ySplit: 1, xSplit: 2 }] });
  const values: Cell[][] = rows.map((row) => ANALYSIS_COLUMNS.map((column) => row[column]));
  addTable(sheet, [...ANALYSIS_COLUMNS], values, (i) => commentStyle((rows[i] as AnalysisRow).comment).argb);
}

/**
 * One row per source scan and its copy, in report order: the comment that comes first in
 * rule order among its sections (the most serious), and the first section's figures with
 * their change, filled like that comment.
 */
function addScansSheet(workbook: ExcelJS.Workbook, rows: readonly AnalysisRow[]): void {
  const sheet = workbook.addWorksheet(SCANS_SHEET, { views: [{ state: 'frozen', ySplit: 1, xSplit: 2 }] });
  const list = groupScanPairs(rows);
  const values: Cell[][] = list.map((pair) => {
    const r = pair.rows[0] as AnalysisRow;
    return [
      pair.sourceScanId,
      pair.targetScanId,
      pair.rows.length,
      pair.comment,
      r.source_pre_pog_percentage,
      r.target_pre_pog_percentage,
      pogDelta(r.source_pre_pog_percentage, r.target_pre_pog_percentage),
      r.source_pre_osa_percentage,
      r.target_pre_osa_percentage,
      pogDelta(r.source_pre_osa_percentage, r.target_pre_osa_percentage),
    ];
  });
  addTable(sheet, [...SCANS_COLUMNS], values, (i) => commentStyle((list[i] as ScanPairRows).comment).argb);
}

function addSummarySheet(workbook: ExcelJS.Workbook, rows: readonly AnalysisRow[]): void {
  const sheet = workbook.addWorksheet(SUMMARY_SHEET, { views: [{ state: 'frozen', ySplit: 1 }] });
  const counts = countComments(rows);
  const share = (n: number): number => (rows.length === 0 ? 0 : Math.round((n / rows.length) * 1000) / 10);
  const values: Cell[][] = counts.map((c) => [c.comment, c.count, share(c.count), c.colour, c.argb, c.meaning]);
  addTable(sheet, ['Comment', 'Count', 'Share %', 'Colour', 'Fill (ARGB)', 'Meaning'], values, (i) => (counts[i] as { argb: string }).argb);
  const total = sheet.addRow(['Total', rows.length, rows.length === 0 ? 0 : 100]);
  total.font = { bold: true };
}

/** Header, rows filled across every column, autofilter over the whole table, widths fitted to the content. */
function addTable(sheet: ExcelJS.Worksheet, header: string[], values: Cell[][], fillOf: (rowIndex: number) => string): void {
  const headerRow = sheet.addRow(header);
  headerRow.font = { bold: true };
  values.forEach((cells, i) => {
    const row = sheet.addRow(cells.map((v) => (typeof v === 'string' ? neutraliseCell(v) : (v ?? null))));
    const fill: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: fillOf(i) } };
    for (let column = 1; column <= header.length; column++) row.getCell(column).fill = fill;
  });
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: values.length + 1, column: header.length } };
  header.forEach((name, i) => {
    const longest = values.reduce((max, cells) => Math.max(max, displayLength(cells[i] ?? null)), name.length);
    // Room for the autofilter's drop-down button on the header.
    sheet.getColumn(i + 1).width = Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, longest + 3));
  });
}

function displayLength(value: Cell): number {
  if (value === null) return 0;
  const text = String(value);
  // A multi-line name is as wide as its longest line.
  return Math.max(...text.split('\n').map((line) => line.length));
}
