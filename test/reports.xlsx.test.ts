import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANALYSIS_COLUMNS, COMMENTS } from '../src/reports/analysis-columns.js';
import { ANALYSIS_SHEET, SCANS_COLUMNS, SCANS_SHEET, SUMMARY_SHEET, writeAnalysisXlsx } from '../src/reports/xlsx.js';
import { analysisRow, sampleRows } from './helpers/analysis-rows.js';

/** The fills of platform.md section 6, written out again here rather than read from the code under test. */
const EXPECTED_FILL: Record<string, string> = {
  'Wrong POG Name Mapping': 'FFFFCCCC',
  'Same POG Name but Different Section': 'FFFFE6CC',
  'Target Has Additional Section (Source Does Not)': 'FFFFFFCC',
  'Target Has Higher POG% Than Source': 'FFCCE6FF',
  'No Issues': 'FFCCFFCC',
  'Target Scan Missing': 'FFDDDDDD',
  'Target Not Processed': 'FFDDDDDD',
  'Target Processing Failed': 'FFDDDDDD',
  'Section Missing in Target': 'FFDDDDDD',
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scancopy-xlsx-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const fillOf = (cell: ExcelJS.Cell): string | undefined => {
  const fill = cell.fill as ExcelJS.FillPattern | undefined;
  return fill?.type === 'pattern' && fill.pattern === 'solid' ? fill.fgColor?.argb : undefined;
};

describe('highlighted XLSX', () => {
  const perComment = [3, 2, 1, 4, 6, 1, 2, 1, 2];
  const rows = sampleRows(perComment);

  it('fills every cell of every row with its comment\'s exact ARGB, under a bold, frozen, filtered header', async () => {
    const path = join(dir, 'analysis_with_comments_20261201_120000_highlighted.xlsx');
    await writeAnalysisXlsx(path, rows);
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(path);
    const sheet = book.getWorksheet(ANALYSIS_SHEET) as ExcelJS.Worksheet;
    expect(sheet.rowCount).toBe(rows.length + 1);
    const header = sheet.getRow(1);
    expect(ANALYSIS_COLUMNS.map((_, i) => header.getCell(i + 1).value)).toEqual([...ANALYSIS_COLUMNS]);
    expect(header.getCell(1).font?.bold).toBe(true);
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1, xSplit: 2 });
    expect(sheet.autoFilter).toBeTruthy();

    const commentColumn = ANALYSIS_COLUMNS.indexOf('comment') + 1;
    rows.forEach((row, i) => {
      const line = sheet.getRow(i + 2);
      expect(line.getCell(commentColumn).value).toBe(row.comment);
      expect(line.getCell(1).value).toBe(row.source_scan_id);
      for (let c = 1; c <= ANALYSIS_COLUMNS.length; c++) expect(fillOf(line.getCell(c)), `row ${i + 2} column ${c}`).toBe(EXPECTED_FILL[row.comment]);
    });
    // A name with a newline stays one cell; widths fit the content within bounds.
    const names = rows.map((_, i) => sheet.getRow(i + 2).getCell(ANALYSIS_COLUMNS.indexOf('source_section_name') + 1).value);
    expect(names).toContain('Line one\nline two');
    for (let c = 1; c <= ANALYSIS_COLUMNS.length; c++) {
      const width = sheet.getColumn(c).width ?? 0;
      expect(width).toBeGreaterThanOrEqual(8);
      expect(width).toBeLessThanOrEqual(60);
    }
    expect(sheet.getColumn(ANALYSIS_COLUMNS.indexOf('source_planogram_name') + 1).width).toBeGreaterThan(sheet.getColumn(1).width ?? 0);
  });

  it('has a Summary sheet with the right count per comment and a colour legend', async () => {
    const path = join(dir, 'summary.xlsx');
    await writeAnalysisXlsx(path, rows);
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(path);
    const sheet = book.getWorksheet(SUMMARY_SHEET) as ExcelJS.Worksheet;
    expect(sheet.getRow(1).getCell(1).value).toBe('Comment');
    expect(sheet.getRow(1).getCell(1).font?.bold).toBe(true);
    const counted = new Map<string, number>();
    for (const row of rows) counted.set(row.comment, (counted.get(row.comment) ?? 0) + 1);
    COMMENTS.forEach((comment, i) => {
      const line = sheet.getRow(i + 2);
      expect(line.getCell(1).value).toBe(comment);
      expect(line.getCell(2).value).toBe(counted.get(comment) ?? 0);
      expect(line.getCell(2).value).toBe(perComment[i]);
      expect(fillOf(line.getCell(1))).toBe(EXPECTED_FILL[comment]);
      expect(line.getCell(5).value).toBe(EXPECTED_FILL[comment]);
    });
    const total = sheet.getRow(COMMENTS.length + 2);
    expect([total.getCell(1).value, total.getCell(2).value]).toEqual(['Total', rows.length]);
  });

  it('writes an empty analysis as a header, zero counts and no error', async () => {
    const path = join(dir, 'empty.xlsx');
    await writeAnalysisXlsx(path, []);
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(path);
    expect(book.getWorksheet(ANALYSIS_SHEET)?.rowCount).toBe(1);
    const summary = book.getWorksheet(SUMMARY_SHEET) as ExcelJS.Worksheet;
    expect(COMMENTS.map((_, i) => summary.getRow(i + 2).getCell(2).value)).toEqual(COMMENTS.map(() => 0));
  });

  it('has a Scans sheet with one row per source scan and its copy: its most serious comment, the figures and their change, ids frozen at the left', async () => {
    const pairRows = [
      analysisRow(0, 'No Issues', { source_scan_id: 1, target_scan_id: 11, source_pre_pog_percentage: 80, target_pre_pog_percentage: 55.5 }),
      analysisRow(1, 'Same POG Name but Different Section', { source_scan_id: 1, target_scan_id: 11 }),
      analysisRow(2, 'Target Has Higher POG% Than Source', { source_scan_id: 2, target_scan_id: 12, source_pre_pog_percentage: 60, target_pre_pog_percentage: 61.25, source_pre_osa_percentage: 90, target_pre_osa_percentage: 88 }),
      analysisRow(3, 'Target Scan Missing', { source_scan_id: 3 }),
    ];
    const path = join(dir, 'scans.xlsx');
    await writeAnalysisXlsx(path, pairRows);
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(path);
    expect(book.worksheets.map((w) => w.name)).toEqual([ANALYSIS_SHEET, SCANS_SHEET, SUMMARY_SHEET]);
    const sheet = book.getWorksheet(SCANS_SHEET) as ExcelJS.Worksheet;
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1, xSplit: 2 });
    expect(SCANS_COLUMNS.map((_, i) => sheet.getRow(1).getCell(i + 1).value)).toEqual([...SCANS_COLUMNS]);
    const values = [2, 3, 4].map((r) => SCANS_COLUMNS.map((_, i) => sheet.getRow(r).getCell(i + 1).value));
    expect(values[0]).toEqual([1, 11, 2, 'Same POG Name but Different Section', 80, 55.5, -24.5, 90.1, 89.9, -0.2]);
    expect(values[1]).toEqual([2, 12, 1, 'Target Has Higher POG% Than Source', 60, 61.25, 1.25, 90, 88, -2]);
    expect(values[2]?.slice(0, 4)).toEqual([3, null, 1, 'Target Scan Missing']);
    expect(sheet.rowCount).toBe(4);
    expect(fillOf(sheet.getRow(2).getCell(1))).toBe(EXPECTED_FILL['Same POG Name but Different Section']);
  });
});
