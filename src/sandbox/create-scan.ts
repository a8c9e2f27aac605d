/**
 * The create-scan call: validated as the platform's Django REST framework serializer does
 * (a 400 whose JSON names each wrong field, in DRF's words; a store planogram of another
 * store than the scan's is refused too), then stored as the platform
 * stores it: the payload as `provided_values._raw_data`, one scanfile row per file in
 * order, status 'created'.
 */
import type { Db, Queryable } from '../platform/db.js';
import { ScanCopyError } from '../core/errors.js';
import { INPUT_TYPES, json, type Answer } from './answer.js';

export interface CreateScanOptions {
  /** A file already used by another scan gives 400 instead of a second scan. @default false */
  rejectReusedFiles: boolean;
}

type Errors = Record<string, string[]>;

const OPTIONAL_PKS = { category_id: 'master_data_implementation_category', store_planogram: 'planograms_implementation_planogramstore', section_id: 'planograms_implementation_planogramsection' } as const;

/** Validates and stores one scan; `created` is the new id when the answer is a 201. */
export async function createScan(db: Db, body: unknown, options: CreateScanOptions): Promise<{ answer: Answer; created?: number }> {
  if (!isPlainObject(body)) {
    return { answer: json(400, { non_field_errors: [`Invalid data. Expected a dictionary, but got ${pyType(body)}.`] }) };
  }
  const errors: Errors = {};
  const store = requiredPk(body, 'store', errors);
  const files = fileList(body, errors);
  const refs: Partial<Record<keyof typeof OPTIONAL_PKS, number>> = {};
  for (const field of Object.keys(OPTIONAL_PKS) as Array<keyof typeof OPTIONAL_PKS>) {
    const value = optionalPk(body, field, errors);
    if (value !== undefined) refs[field] = value;
  }
  optionalPk(body, 'replace_id', errors);
  checkNumber(body, 'captured_at', errors);
  checkString(body, 'aisle', errors);
  checkChoice(body, 'input_type', INPUT_TYPES, errors);

  // Like DRF, one 400 lists every wrong field: type errors and unknown ids together.
  return db.transaction(async (tx) => {
    await checkExists(tx, 'master_data_implementation_store', 'store', store, errors);
    for (const [field, table] of Object.entries(OPTIONAL_PKS)) {
      await checkExists(tx, table, field, refs[field as keyof typeof OPTIONAL_PKS], errors);
    }
    await checkStorePlanogramOfStore(tx, refs.store_planogram, store, errors);
    const fileTypes = await lockFiles(tx, files, errors);
    if (!errors.files && options.rejectReusedFiles) await checkUnused(tx, files, errors);
    if (Object.keys(errors).length > 0) return { answer: json(400, errors) };

    const [scan] = await tx.query<{ id: number; created_at: Date }>(
      `INSERT INTO realograms_implementation_scan (provided_values, store_id, selected_category_id, status, has_report)
       VALUES ($1, $2, $3, 'created', false) RETURNING id, created_at`,
      [{ _raw_data: body }, store, refs.category_id ?? null],
    );
    if (!scan) throw new ScanCopyError('INTERNAL', 'creating a scan returned no row');
    await tx.query(
      `INSERT INTO realograms_implementation_scanfile (scan_id, file_id, file_type)
       SELECT $1, f.id, f.file_type FROM unnest($2::bigint[], $3::text[]) WITH ORDINALITY AS f(id, file_type, n) ORDER BY f.n`,
      [scan.id, files, files.map((id) => fileTypes.get(id) ?? 'image')],
    );
    return {
      created: scan.id,
      answer: json(201, {
        id: scan.id,
        store,
        files,
        status: 'created',
        created_at: scan.created_at.toISOString(),
        category_id: refs.category_id ?? null,
        store_planogram: refs.store_planogram ?? null,
        section_id: refs.section_id ?? null,
      }),
    };
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Python's name for a JSON value's type, as DRF puts it in messages. */
function pyType(value: unknown): string {
  if (value === null) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  return 'dict';
}

/** A primary key as DRF's PrimaryKeyRelatedField takes it: an integer or a string of digits. */
function toPk(value: unknown): number | string {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value.trim())) return Number(value.trim());
  return `Incorrect type. Expected pk value, received ${pyType(value)}.`;
}

function requiredPk(body: Record<string, unknown>, field: string, errors: Errors): number {
  if (body[field] === undefined) {
    errors[field] = ['This field is required.'];
    return 0;
  }
  if (body[field] === null) {
    errors[field] = ['This field may not be null.'];
    return 0;
  }
  return pk(body[field], field, errors);
}

function optionalPk(body: Record<string, unknown>, field: string, errors: Errors): number | undefined {
  const value = body[field];
  if (value === undefined || value === null || value === '') return undefined;
  return pk(value, field, errors);
}

function pk(value: unknown, field: string, errors: Errors): number {
  const parsed = toPk(value);
  if (typeof parsed === 'string') {
    errors[field] = [parsed];
    return 0;
  }
  return parsed;
}

function fileList(body: Record<string, unknown>, errors: Errors): number[] {
  const value = body.files;
  if (value === undefined) errors.files = ['This field is required.'];
  else if (!Array.isArray(value)) errors.files = [`Expected a list of items but got type "${pyType(value)}".`];
  else if (value.length === 0) errors.files = ['This list may not be empty.'];
  if (!Array.isArray(value) || errors.files) return [];
  const ids: number[] = [];
  for (const item of value) {
    const parsed = toPk(item);
    if (typeof parsed === 'string') {
      errors.files = [parsed];
      return [];
    }
    ids.push(parsed);
  }
  return ids;
}

function checkNumber(body: Record<string, unknown>, field: string, errors: Errors): void {
  const value = body[field];
  if (value === undefined || value === null) return;
  const ok = (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)));
  if (!ok) errors[field] = ['A valid number is required.'];
}

function checkString(body: Record<string, unknown>, field: string, errors: Errors): void {
  const value = body[field];
  if (value === undefined || value === null) return;
  if (typeof value !== 'string' && typeof value !== 'number') errors[field] = ['Not a valid string.'];
}

/** An optional choice field, as DRF's ChoiceField words a value outside its choices. */
function checkChoice(body: Record<string, unknown>, field: string, choices: readonly string[], errors: Errors): void {
  const value = body[field];
  if (value === undefined) return;
  if (typeof value !== 'string' || !choices.includes(value)) errors[field] = [`"${typeof value === 'string' ? value : JSON.stringify(value)}" is not a valid choice.`];
}

async function checkExists(tx: Queryable, table: string, field: string, id: number | undefined, errors: Errors): Promise<void> {
  if (id === undefined || errors[field]) return;
  const rows = await tx.query(`SELECT 1 FROM ${table} WHERE id = $1`, [id]);
  if (rows.length === 0) errors[field] = [`Invalid pk "${id}" - object does not exist.`];
}

/** A scan is filed under a planogram of its own store: a store POG of another store is refused, as the platform does. */
async function checkStorePlanogramOfStore(tx: Queryable, storePlanogram: number | undefined, store: number, errors: Errors): Promise<void> {
  if (storePlanogram === undefined || errors.store_planogram || errors.store) return;
  const [row] = await tx.query<{ store_id: number }>('SELECT store_id FROM planograms_implementation_planogramstore WHERE id = $1', [storePlanogram]);
  if (row && Number(row.store_id) !== store) errors.store_planogram = [`Store planogram ${storePlanogram} is not assigned to store ${store}.`];
}

/** Locks the files' rows so concurrent creates that share files see each other's scanfile rows. */
async function lockFiles(tx: Queryable, files: number[], errors: Errors): Promise<Map<number, string>> {
  const rows = await tx.query<{ id: number; input_type: string }>(
    'SELECT id, input_type FROM sandbox_fileupload WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE',
    [files],
  );
  const found = new Map(rows.map((r) => [r.id, r.input_type]));
  const missing = files.find((id) => !found.has(id));
  if (missing !== undefined) errors.files = [`Invalid pk "${missing}" - object does not exist.`];
  return found;
}

async function checkUnused(tx: Queryable, files: number[], errors: Errors): Promise<void> {
  const [used] = await tx.query<{ file_id: number; scan_id: number }>(
    'SELECT file_id, scan_id FROM realograms_implementation_scanfile WHERE file_id = ANY($1::bigint[]) ORDER BY id LIMIT 1',
    [files],
  );
  if (used) errors.files = [`File ${used.file_id} is already used by scan ${used.scan_id}.`];
}
