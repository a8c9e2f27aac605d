/** How every long command stops on Ctrl-C: one signal stops taking work, a second leaves at once. */
import { setMaxListeners } from 'node:events';
import { EXIT, ScanCopyError } from '../core/errors.js';

export interface SignalStop {
  signal: AbortSignal;
  dispose(): void;
}

/**
 * The first SIGINT/SIGTERM stops taking work (the workflow drains or journals what is in
 * flight and saves); a second one leaves at once, which the journal makes safe too.
 */
export function stopOnSignals(): SignalStop {
  const controller = new AbortController();
  // Every call in flight listens on it (dry-run plans, verify's downloads): many listeners are expected, not a leak.
  setMaxListeners(0, controller.signal);
  const onSignal = (): void => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    controller.abort(new ScanCopyError('ABORTED', 'interrupted'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
