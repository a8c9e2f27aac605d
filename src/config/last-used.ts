/**
 * Remembers the last run's choices (scan ids, target store, results dir, instance names) in
 * the config file, for the wizard's defaults. The rest of the file is kept as it is; the
 * write is atomic, and what is written is checked to hold no registered secret.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { writeFileAtomic } from '../core/atomic-file.js';
import { ScanCopyError } from '../core/errors.js';
import { redactText } from '../core/redact.js';
import { CONFIG_FILE_NAME, instanceEntrySchema, instanceName, lastUsedSchema, userConfigFile, validate, type InstanceEntry, type LastUsed } from './schema.js';

export interface SaveLastUsedInput {
  cwd: string;
  /** The config file read (the wizard keeps its answers there); else ./scancopy.config.json when it exists, else the user's config file. */
  configPath?: string;
  env?: Readonly<Record<string, string | undefined>>;
}

/** Where answers are saved: the config file that was read, else the one that would be read, else the user's (XDG) config file. */
export function configWritePath(input: SaveLastUsedInput): string {
  if (input.configPath !== undefined) return resolve(input.cwd, input.configPath);
  const local = resolve(input.cwd, CONFIG_FILE_NAME);
  return existsSync(local) ? local : userConfigFile(input.env ?? {}, homedir());
}

/** Merges `lastUsed` into the config file's `lastUsed` and writes it; returns the path. */
export async function saveLastUsed(input: SaveLastUsedInput, lastUsed: LastUsed): Promise<string> {
  const path = configWritePath(input);
  const checked = validate(lastUsedSchema, lastUsed, 'lastUsed');
  const current = readObject(path);
  const previous = typeof current.lastUsed === 'object' && current.lastUsed !== null ? current.lastUsed : {};
  return writeConfigObject(path, { ...current, lastUsed: { ...previous, ...checked } });
}

/** Adds or replaces `instances[name]`: addresses only (the schema refuses a DB URL holding a password). */
export async function saveInstance(input: SaveLastUsedInput, name: string, entry: InstanceEntry): Promise<string> {
  const path = configWritePath(input);
  validate(instanceName, name, 'instance name');
  const checked = validate(instanceEntrySchema, entry, `instances.${name}`);
  const current = readObject(path);
  const previous = typeof current.instances === 'object' && current.instances !== null ? current.instances : {};
  return writeConfigObject(path, { ...current, instances: { ...previous, [name]: checked } });
}

async function writeConfigObject(path: string, next: Record<string, unknown>): Promise<string> {
  const text = `${JSON.stringify(next, null, 2)}\n`;
  if (redactText(text) !== text) {
    throw new ScanCopyError('INTERNAL', `refusing to write ${path}: it would hold a secret`);
  }
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, text);
  return path;
}

/** The file as a JSON object; a file that is not one is left alone rather than overwritten. */
function readObject(path: string): Record<string, unknown> {
  if (!existsSync(path)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new ScanCopyError('CONFIG_INVALID', `config file ${path} is not valid JSON: ${(cause as Error).message}`, {
      cause,
      hint: 'Fix or remove the file; scancopy will not overwrite it.',
    });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ScanCopyError('CONFIG_INVALID', `config file ${path} = ${JSON.stringify(parsed)}: expected a JSON object`);
  }
  return parsed as Record<string, unknown>;
}
