/**
 * A plain copy of a source sandbox's scans into a target sandbox over the REST API, written
 * independently of src/workflows so that sandbox tests do not depend on the code they serve:
 * read the payload and files from the source database, upload the bytes, create the scan.
 */
import type { RunningSandbox } from '../../src/sandbox/sandbox.js';
import { rawApi } from './sandbox.js';

const AUTO_DROPPED = ['id', 'created_at', 'updated_at', 'task_id', 'category_id', 'section_id', 'store_planogram', 'aisle', 'replace_id'];
const MAPPED_DROPPED = ['id', 'created_at', 'updated_at', 'task_id'];

/** Copies every source scan (ascending id) and returns source id -> target id. */
export async function copyAllScans(source: RunningSandbox, target: RunningSandbox, mode: 'auto' | 'mapped', concurrency = 6): Promise<Map<number, number>> {
  const api = await rawApi(target);
  const scans = await source.db.query<{ id: number; store_id: number; provided_values: Record<string, unknown> }>(
    'SELECT id, store_id, provided_values FROM realograms_implementation_scan ORDER BY id',
  );
  const mapping = new Map<number, number>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < scans.length) {
      const scan = scans[next++] as (typeof scans)[number];
      const files = await source.db.query<{ content: Uint8Array; original_filename: string; content_type: string }>(
        `SELECT f.content, f.original_filename, f.content_type
           FROM realograms_implementation_scanfile sf JOIN sandbox_fileupload f ON f.id = sf.file_id
          WHERE sf.scan_id = $1 ORDER BY sf.id`,
        [scan.id],
      );
      const fileIds: number[] = [];
      for (const f of files) fileIds.push(await api.uploadId(f.content, f.original_filename, f.content_type));
      const raw = (scan.provided_values._raw_data ?? scan.provided_values) as Record<string, unknown>;
      const payload: Record<string, unknown> = { ...raw, store: scan.store_id, files: fileIds, captured_at: Math.floor(Date.now() / 1000) };
      for (const key of mode === 'auto' ? AUTO_DROPPED : MAPPED_DROPPED) delete payload[key];
      const res = await api.create(payload);
      if (res.status !== 201) throw new Error(`create for source scan ${scan.id} answered ${res.status}: ${await res.text()}`);
      mapping.set(scan.id, ((await res.json()) as { id: number }).id);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return mapping;
}
