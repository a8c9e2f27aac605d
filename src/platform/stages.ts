/**
 * The stages a scan's copy goes through on the platform, in order: each has its own calls,
 * concurrency limit and progress. Every table keyed by stage is a `Record<Stage, …>`, so the
 * compiler finds each one when a stage is added.
 */
export const STAGES = ['download', 'upload', 'create'] as const;
export type Stage = (typeof STAGES)[number];

/** A value per stage, made by `make` (a limit, a queue, a counter). */
export function byStage<T>(make: (stage: Stage) => T): Record<Stage, T> {
  return { download: make('download'), upload: make('upload'), create: make('create') };
}
