/** What every workflow takes besides its options: a way to stop it and a sink for progress. */
export interface RunContext<Event> {
  /** Aborting stops taking new work; in-flight work is finished or journaled. */
  signal?: AbortSignal;
  /** Progress and state changes; workflows never print. */
  onEvent?: (event: Event) => void;
}
