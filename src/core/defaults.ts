/**
 * Every default of a run, each written once. The config file falls back to these
 * (config/schema DEFAULTS shows them in the file's units, seconds); the client, the retry
 * policy and the copy use them when called as a library. They live in core/, the one room
 * every other may read (README "Layout"), so no layer repeats a number another owns.
 */
export const RUN_DEFAULTS = {
  resultsDir: './testResults',
  /** Scans per batch. */
  batchSize: 10,
  /** Calls at once per stage (platform/stages). */
  limits: { download: 20, upload: 20, create: 10 },
  /** Per call, in milliseconds: platform.md section 2. */
  callTimeoutsMs: { login: 30_000, meta: 60_000, content: 120_000, upload: 120_000, create: 60_000 },
  /** How long one batch may take. */
  batchDeadlineMs: 30 * 60_000,
  /** How long beyond the create timeout a backend may still commit a create, replica lag included. */
  commitMarginMs: 30_000,
  retry: { retries: 3, baseMs: 1000, capMs: 60_000, retryAfterCapMs: 60_000, budgetRatio: 0.2, budgetWindowMs: 60_000, budgetMinRetries: 10 },
} as const;
