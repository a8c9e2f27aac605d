/**
 * The scancopy SDK: the same workflows the CLI runs, as functions from typed options to a
 * typed result, with progress as events. Nothing here prints or exits. The sandbox is its
 * own entry, `scancopy/sandbox`.
 */
export { copyScans, findCopyCheckpoint, openLedger, planCopy, COPY_DEFAULTS, CRASH_POINTS } from './workflows/copy.js';
export type { CopyOptions, CopyResult, CopyEvent, CopyMode, CopyFailure, CopyPlan, Ledger, OpenLedgerOptions } from './workflows/copy.js';
export { verifyCopy } from './workflows/verify.js';
export type { VerifyOptions, VerifyResult, VerifyMismatch, VerifyEvent } from './workflows/verify.js';
export { downloadScanImages, DOWNLOAD_DEFAULTS } from './workflows/download.js';
export type { DownloadOptions, DownloadResult, DownloadEvent } from './workflows/download.js';
export { analyzeScans, analyzeFilePaths, readScanMapping, ANALYZE_DEFAULTS } from './workflows/analyze.js';
export type { AnalyzeOptions, AnalyzeResult, AnalyzeEvent, ScanPair } from './workflows/analyze.js';
export { findScans, resolveScanIds } from './workflows/find.js';
export type { FindScansOptions, ScanSelection } from './workflows/find.js';
export type { RunContext } from './workflows/context.js';
export { openInstance } from './platform/instance.js';
export type { Instance, InstanceAddress, OpenInstanceOptions } from './platform/instance.js';
export { PlatformApi } from './platform/api.js';
export { openDb } from './platform/db.js';
export type { Db, Queryable } from './platform/db.js';
export type * from './platform/types.js';
export { resolveConfig, saveLastUsed } from './config/index.js';
export type { ResolvedConfig, ResolvedInstance } from './config/index.js';
export { ScanCopyError, HttpError, EXIT } from './core/errors.js';
export { classify, exitCodeFor } from './core/failure.js';
export type { Failure } from './core/failure.js';
export type { ErrorCode } from './core/errors.js';
export { RetryPolicy } from './core/retry.js';
