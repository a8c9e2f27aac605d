/**
 * The wizard's questions: every typed answer is parsed where it is typed, and a bad one is
 * explained under the prompt and asked again (inquirer's validate), so a step never gets
 * a value it has to reject later.
 */
import { input, password, select } from '@inquirer/prompts';
import { describeError } from '../exit.js';

/** Thrown by a parser: the message is shown under the prompt as the reason. */
export class InvalidAnswer extends Error {
  override readonly name = 'InvalidAnswer';
}

export type Parser<T> = (text: string) => T | Promise<T>;

export interface AskOptions {
  default?: string;
}

/** Asks until `parse` accepts the answer; returns what it parsed. */
export async function ask<T>(message: string, parse: Parser<T>, opts: AskOptions = {}): Promise<T> {
  const box: { value?: T } = {};
  await input({
    message,
    default: opts.default,
    validate: async (text) => {
      try {
        box.value = await parse(text.trim());
        return true;
      } catch (err) {
        return reasonOf(err);
      }
    },
  });
  return box.value as T;
}

/** A masked secret: shown as `*`, never echoed, never stored. Empty only when `allowEmpty`. */
export async function askSecret(message: string, opts: { allowEmpty?: boolean } = {}): Promise<string> {
  return password({
    message,
    mask: '*',
    validate: (value) => (value.length > 0 || opts.allowEmpty ? true : 'Please type it (input is masked).'),
  });
}

export function reasonOf(err: unknown): string {
  if (err instanceof InvalidAnswer) return err.message;
  return describeError(err).replace(/^error [A-Z_]+: /, '');
}

/** Prompt errors that mean the user pressed Ctrl-C or closed the terminal. */
export function isPromptExit(err: unknown): boolean {
  const name = (err as { name?: unknown } | null)?.name;
  return name === 'ExitPromptError' || name === 'AbortPromptError';
}

export interface Choice<T extends string> {
  name: string;
  value: T;
}

/** A numbered menu, like the seed tool's options: arrows, or the option's number, then Enter. */
export async function choose<T extends string>(message: string, choices: ReadonlyArray<Choice<T>>, defaultValue?: T): Promise<T> {
  return select<T>({ message, choices, default: defaultValue, theme: { indexMode: 'number' } });
}
