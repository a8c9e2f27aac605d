/**
 * A long command's run (analyze, download, verify): its renderer, the stop on Ctrl-C and the
 * instances it opens, all released when the run ends, however it ends.
 */
import { openInstance, type Instance, type InstanceAddress, type OpenInstanceOptions } from '../platform/instance.js';
import { createEventRenderer, type EventRenderer, type EventView, type OutputOptions } from './render.js';
import { stopOnSignals } from './stop-signals.js';

export interface CommandRun<E> {
  renderer: EventRenderer<E>;
  signal: AbortSignal;
  /** Opens an instance that is closed when the run ends. */
  open(address: InstanceAddress, options: OpenInstanceOptions): Promise<Instance>;
}

export async function withCommandRun<E>(output: OutputOptions, view: EventView<E>, body: (run: CommandRun<E>) => Promise<void>): Promise<void> {
  const renderer = createEventRenderer(output, view);
  const stop = stopOnSignals();
  const opened: Instance[] = [];
  const open = async (address: InstanceAddress, options: OpenInstanceOptions): Promise<Instance> => {
    const instance = await openInstance(address, options);
    opened.push(instance);
    return instance;
  };
  try {
    await body({ renderer, signal: stop.signal, open });
  } finally {
    renderer.close();
    stop.dispose();
    await Promise.all(opened.map((i) => i.close()));
  }
}
