/**
 * The one place a copy's options are put together from the job and the resolved settings,
 * for the copy command, its resume, the wizard and the demo: the same settings give the
 * same run whoever starts it.
 */
import type { CopyInstance, CopyOptions } from '../copy.js';
import type { Stage } from '../../platform/stages.js';

/** The resolved config's part a copy reads (config/resolve's ResolvedConfig fits it). */
export interface CopySettings {
  resultsDir: string;
  batchSize: number;
  limits: Readonly<Record<Stage, number>>;
  /** Milliseconds. */
  timeouts: Readonly<{ batch: number; commitHorizon: number }>;
}

/** The job: what to copy, from where, to where and how; CopyOptions says what each part means. */
export type CopyJobRequest = Pick<CopyOptions, 'source' | 'target' | 'scanIds' | 'targetStoreId' | 'mode'>;

/** What a single run may set beyond the settings: flags such as --max-duration, the resume decision, test hooks. */
export type CopyRunOverrides = Partial<Omit<CopyOptions, keyof CopyJobRequest>>;

export function buildCopyOptions(job: CopyJobRequest, settings: Partial<CopySettings> = {}, overrides: CopyRunOverrides = {}): CopyOptions {
  const fromSettings: Partial<CopyOptions> = {
    resultsDir: settings.resultsDir,
    batchSize: settings.batchSize,
    limits: settings.limits ? { ...settings.limits } : undefined,
    batchDeadlineMs: settings.timeouts?.batch,
    commitHorizonMs: settings.timeouts?.commitHorizon,
  };
  return { ...job, ...defined(fromSettings), ...defined(overrides) };
}

/** A copy end from an opened instance and the address it was opened with (recorded in the checkpoint). */
export function copyEnd<Api>(opened: { api: Api; name: string }, address: { apiUrl: string; dbUrl: string }): CopyInstance<Api> {
  return { apiUrl: address.apiUrl, api: opened.api, name: opened.name, dbUrl: address.dbUrl };
}

function defined<T extends object>(record: T): Partial<T> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as Partial<T>;
}
