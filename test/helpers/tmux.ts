/**
 * A pseudo-terminal for interactive tests: a detached tmux session of fixed size on a
 * private server socket, driven by send-keys and read by capture-pane.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TerminalOptions {
  cwd: string;
  env?: Record<string, string>;
  width?: number;
  height?: number;
}

const EXIT_MARK = '[[exit ';

export class Terminal {
  private readonly socket: string;
  /** Every screen captured, so a test can scan all output the program ever showed. */
  readonly captures: string[] = [];

  private constructor(socket: string) {
    this.socket = socket;
  }

  /** Runs `command` through sh in a new session; the exit code is printed when it ends. */
  static async start(command: string, opts: TerminalOptions): Promise<Terminal> {
    const term = new Terminal(`scancopy-test-${process.pid}-${randomBytes(4).toString('hex')}`);
    const envArgs = Object.entries(opts.env ?? {}).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    // Ctrl-C outside raw mode signals the whole foreground group: the shell traps it (its
    // children still get the default) so it lives to print the program's exit code.
    const script = `trap 'true' INT; ${command}; echo "${EXIT_MARK}$?]]"; sleep 3600`;
    await term.tmux(
      'new-session', '-d', '-s', 'main', '-x', String(opts.width ?? 140), '-y', String(opts.height ?? 50),
      '-c', opts.cwd, ...envArgs, 'sh', '-c', script,
    );
    await term.tmux('set-option', '-t', 'main', 'history-limit', '20000');
    return term;
  }

  /** Types text literally (no key names), then nothing else. */
  async type(text: string): Promise<void> {
    await this.tmux('send-keys', '-t', 'main', '-l', text);
  }

  /** Sends key names: `Enter`, `Down`, `C-c`, `C-u`. */
  async keys(...keys: string[]): Promise<void> {
    await this.tmux('send-keys', '-t', 'main', ...keys);
  }

  /** Types text, then Enter. */
  async answer(text: string): Promise<void> {
    if (text) await this.type(text);
    await this.keys('Enter');
  }

  /** The whole scrollback and screen, wrapped lines joined. */
  async capture(): Promise<string> {
    const { stdout } = await this.tmux('capture-pane', '-p', '-J', '-S', '-', '-t', 'main');
    this.captures.push(stdout);
    return stdout;
  }

  /** Polls the screen until `pattern` shows up after `since` characters of output; returns the screen. */
  async waitFor(pattern: RegExp | string, timeoutMs = 20_000, since = 0): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let screen = '';
    for (;;) {
      screen = await this.capture();
      const tail = screen.slice(since);
      if (typeof pattern === 'string' ? tail.includes(pattern) : pattern.test(tail)) return screen;
      if (tail.includes(EXIT_MARK) || Date.now() > deadline) {
        throw new Error(`Timed out waiting for ${String(pattern)}; the screen was:\n${screen}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * Waits until the active prompt (the last `? ` line on screen: inquirer turns an answered
   * one into `✔ `) contains `text`, so an earlier identical question never matches.
   */
  async waitForPrompt(text: string, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = await this.capture();
      const active = screen.split('\n').filter((line) => line.startsWith('? ')).pop();
      if (active?.includes(text) && !screen.slice(screen.lastIndexOf(active)).includes('✔')) return screen;
      if (screen.includes(EXIT_MARK) || Date.now() > deadline) {
        throw new Error(`Timed out waiting for the prompt ${JSON.stringify(text)}; the screen was:\n${screen}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Waits for the prompt, then types the answer and Enter. */
  async reply(promptText: string, answer: string, timeoutMs?: number): Promise<void> {
    await this.waitForPrompt(promptText, timeoutMs);
    await this.answer(answer);
  }

  /** Waits for the program to end and returns its exit code. */
  async exitCode(timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = await this.capture();
      const match = /\[\[exit (\d+)\]\]/.exec(screen);
      if (match) return Number(match[1]);
      if (Date.now() > deadline) throw new Error(`The program did not end; the screen was:\n${screen}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async close(): Promise<void> {
    await this.tmux('kill-server').catch(() => undefined);
  }

  private tmux(...args: string[]): Promise<{ stdout: string }> {
    return run('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }
}
