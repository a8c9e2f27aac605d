import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANALYSIS_COLUMNS, SCAN_DETAILS_COLUMNS } from '../src/reports/analysis-columns.js';
import { formatCsv, readCsv, writeCsv } from '../src/reports/csv.js';
import { HOSTILE_NAMES, sampleRows } from './helpers/analysis-rows.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scancopy-csv-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** What a cell reads back as: CSV has no types, so the writer's text form. */
const asText = (value: unknown): string => (value === null || value === undefined ? '' : typeof value === 'boolean' ? (value ? 'True' : 'False') : String(value));

describe('analysis CSV', () => {
  it('round-trips quotes, commas, newlines, markup and non-ASCII in names, in the issue\'s column order', async () => {
    const rows = sampleRows();
    const path = join(dir, 'analysis_with_comments_20261201_120000.csv');
    await writeCsv(path, ANALYSIS_COLUMNS, rows);
    const text = await readFile(path, 'utf8');
    expect(text.split('\n')[0]).toBe(
      'source_scan_id,target_scan_id,source_store_planogram_id,target_store_planogram_id,source_planogram_name,target_planogram_name,' +
        'source_section_id,target_section_id,source_section_name,target_section_name,source_is_additional_section,target_is_additional_section,' +
        'source_pre_pog_percentage,target_pre_pog_percentage,source_post_pog_percentage,target_post_pog_percentage,' +
        'source_pre_osa_percentage,target_pre_osa_percentage,source_post_osa_percentage,target_post_osa_percentage,' +
        'source_ok_count,target_ok_count,source_wandering_count,target_wandering_count,source_oos_count,target_oos_count,' +
        'source_hole_count,target_hole_count,comment,MAv2_Map_by',
    );
    const back = await readCsv(path);
    expect(back).toHaveLength(rows.length);
    back.forEach((record, i) => {
      expect(Object.keys(record)).toEqual([...ANALYSIS_COLUMNS]);
      for (const column of ANALYSIS_COLUMNS) expect(record[column]).toBe(asText(rows[i]?.[column]));
    });
    expect(new Set(back.map((r) => r.source_section_name))).toEqual(new Set(HOSTILE_NAMES));
    // Atomic write: no temporary file left beside it.
    expect(await readdir(dir)).toEqual(['analysis_with_comments_20261201_120000.csv']);
  });

  it('writes a details row with the seed tool\'s columns only: jsonb as JSON, timestamps as ISO, extra fields dropped', () => {
    const created = new Date('2026-11-30T08:15:00Z');
    const row = {
      scan_id: 7,
      scan_status: 'done',
      section_name: 'A, "B"\nC',
      is_additional_section: true,
      majority_created_at: created,
      majority_data: { '7': { map_by: 'majority_v2' } },
      map_by_value: 'majority_v2',
      report_id: 99,
      has_report: true,
    };
    const text = formatCsv(SCAN_DETAILS_COLUMNS, [row]);
    expect(text.split('\n')[0]).toBe(SCAN_DETAILS_COLUMNS.join(','));
    expect(text).not.toContain('99');
    expect(text).toContain('"A, ""B""\nC"');
    expect(text).toContain(',True,');
    expect(text).toContain(created.toISOString());
    expect(text).toContain('"{""7"":{""map_by"":""majority_v2""}}"');
  });
});
