/**
 * The create payload of a copied scan (platform.md section 4): a copy of the source's
 * `_raw_data` (or of `provided_values` itself when it has none), pointed at the target store
 * and the newly uploaded files, stamped with the run's start time, without the fields the
 * server owns, and in auto mode without the source's mapping.
 */
import type { ScanPayload } from '../../platform/types.js';

/** auto: the target maps each copy itself; mapped: the copy keeps the source's mapping (a target that shares its ids). */
export const COPY_MODES = ['auto', 'mapped'] as const;
export type CopyMode = (typeof COPY_MODES)[number];

/** Fields the server sets; a copy never sends them. */
export const SERVER_FIELDS = ['id', 'created_at', 'updated_at', 'task_id'] as const;
/** The source's mapping: auto mode lets the target map the scan itself. */
export const MAPPING_FIELDS = ['category_id', 'section_id', 'store_planogram', 'aisle', 'replace_id'] as const;
/** Fields every copy sets. */
export const REWRITTEN_FIELDS = ['store', 'files', 'captured_at'] as const;

const DROPPED: Record<CopyMode, readonly string[]> = { auto: [...SERVER_FIELDS, ...MAPPING_FIELDS], mapped: SERVER_FIELDS };

/** The source's fields a copy in this mode leaves out of its create payload. */
export function droppedFields(mode: CopyMode): readonly string[] {
  return DROPPED[mode];
}

export type RawData = Record<string, unknown>;

/** `provided_values._raw_data` when it is an object, else `provided_values` when that is; undefined otherwise. */
export function sourcePayload(providedValues: unknown): RawData | undefined {
  if (!isObject(providedValues)) return undefined;
  if ('_raw_data' in providedValues) {
    const raw = providedValues._raw_data;
    return isObject(raw) ? raw : undefined;
  }
  return providedValues;
}

export interface PayloadInput {
  mode: CopyMode;
  targetStoreId: number;
  /** New file ids on the target, in the source order. */
  fileIds: readonly number[];
  /** The source files' `file_type`s, in the same order: the scan's `input_type` when they agree. */
  fileTypes: readonly string[];
  /** Unix seconds: the copy job's start. */
  capturedAt: number;
  /** Mapped mode: the target store's store planogram, in place of the source store's (store-planograms.ts). */
  storePlanogramId?: number;
}

/** The create payload, or undefined when the source has no usable payload. */
export function buildCreatePayload(providedValues: unknown, input: PayloadInput): ScanPayload | undefined {
  const raw = sourcePayload(providedValues);
  if (!raw) return undefined;
  const payload: Record<string, unknown> = structuredClone(raw);
  for (const field of droppedFields(input.mode)) delete payload[field];
  // The scan's input type is what its files are on the source (a video scan stays one); files
  // of mixed types leave the payload's own field, if any, to the target's judgement.
  const [first, ...rest] = input.fileTypes;
  if (first !== undefined && rest.every((t) => t === first)) payload.input_type = first;
  if (input.mode === 'mapped' && input.storePlanogramId !== undefined) payload.store_planogram = input.storePlanogramId;
  return { ...payload, store: input.targetStoreId, files: [...input.fileIds], captured_at: input.capturedAt };
}

/** Why a scan cannot be copied as it is, or undefined when it can. */
export function unusablePayloadReason(providedValues: unknown): string | undefined {
  if (providedValues === null || providedValues === undefined) return 'provided_values is empty';
  if (!isObject(providedValues)) return 'provided_values is not an object';
  if ('_raw_data' in providedValues && !isObject(providedValues._raw_data)) return '_raw_data is not an object';
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
