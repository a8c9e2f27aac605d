/**
 * What every wizard step shares: the resolved config (saved instances, defaults, last-used
 * values), a way to print, and a way to remember answers. Answers are saved as soon as they
 * are given, so a wizard left with Ctrl-C offers them again next time; secrets never are.
 */
import { resolveConfig, saveLastUsed, type LastUsed, type ResolvedConfig } from '../../config/index.js';
import { describeError } from '../exit.js';
import type { Instance } from '../../platform/instance.js';

export interface WizardIO {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  /** A line for the user (stdout). */
  print: (line: string) => void;
}

export class WizardSession {
  readonly config: ResolvedConfig;
  private remembered: LastUsed;
  private readonly opened: Instance[] = [];

  constructor(readonly io: WizardIO) {
    this.config = resolveConfig({ env: io.env, cwd: io.cwd });
    this.remembered = { ...this.config.lastUsed };
  }

  get lastUsed(): Readonly<LastUsed> {
    return this.remembered;
  }

  print(line = ''): void {
    this.io.print(line);
  }

  step(title: string): void {
    this.print('');
    this.print(`── ${title} ──`);
  }

  /** Saves answers in the config file's lastUsed; a config that cannot be written costs a warning, not the run. */
  async remember(values: LastUsed): Promise<void> {
    this.remembered = { ...this.remembered, ...values };
    try {
      await saveLastUsed({ cwd: this.io.cwd, configPath: this.config.configPath, env: this.io.env }, values);
    } catch (err) {
      this.print(`  (could not save these answers for next time: ${describeError(err)})`);
    }
  }

  /** Instances opened by steps are closed when the wizard ends, however it ends. */
  adopt(instance: Instance): Instance {
    this.opened.push(instance);
    return instance;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.opened.splice(0).map((i) => i.close()));
  }
}
