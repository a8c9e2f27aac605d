/**
 * A password command (like git's credential helpers or rclone's --password-command): an
 * instance's `passwordCommand` / `dbPasswordCommand` in the config is an argv run without a
 * shell, whose first line of stdout is the secret, so nobody needs a plaintext `.env`. The
 * secret is registered for redaction at once; neither it nor the command's output is ever
 * logged or put in an error.
 */
import { spawn } from 'node:child_process';
import { ScanCopyError } from '../core/errors.js';
import { registerSecret } from '../core/redact.js';

/** A password manager asking for its unlock on a terminal is slow, but never this slow. */
const TIMEOUT_MS = 120_000;

export async function runPasswordCommand(argv: readonly string[], what: string): Promise<string> {
  const [file, ...args] = argv;
  if (!file) throw new ScanCopyError('CONFIG_INVALID', `${what}: the password command is empty`, { hint: 'Give it as an array: ["pass", "show", "scancopy/stg"].' });
  const shown = `\`${file}\``;
  const stdout = await new Promise<string>((resolve, reject) => {
    const fail = (why: string): void =>
      reject(new ScanCopyError('CONFIG_INVALID', `${what}: the password command ${shown} ${why}`, { hint: 'Run the command yourself to see what it needs; scancopy never shows its output.' }));
    // stdin and stderr stay the user's, so a command can ask for its own unlock.
    const child = spawn(file, args, { shell: false, stdio: ['inherit', 'pipe', 'inherit'], timeout: TIMEOUT_MS, windowsHide: true });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', (err: NodeJS.ErrnoException) => fail(err.code === 'ENOENT' ? 'was not found (check the program name, or give its full path)' : 'could not be run'));
    child.on('close', (code, signal) => {
      if (signal) fail(`was stopped by ${signal} (it must finish within ${TIMEOUT_MS / 1000} s)`);
      else if (code !== 0) fail(`exited with code ${String(code)}`);
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
  const secret = (stdout.split(/\r?\n/, 1)[0] ?? '').trimEnd();
  if (secret === '') {
    throw new ScanCopyError('CONFIG_INVALID', `${what}: the password command ${shown} printed nothing on its first line`, { hint: 'It must print the password as the first line of its output.' });
  }
  registerSecret(secret);
  return secret;
}

type Secrets = { password?: string; dbPassword?: string };

/** Fills the API and DB passwords the environment left unset from the instance's commands. */
export async function secretsFromCommands(instance: Secrets & { name: string; passwordCommand?: readonly string[]; dbPasswordCommand?: readonly string[] }, role: string): Promise<Secrets> {
  const out: Secrets = {};
  if (instance.password === undefined && instance.passwordCommand) out.password = await runPasswordCommand(instance.passwordCommand, `${role} instance ${instance.name} passwordCommand`);
  if (instance.dbPassword === undefined && instance.dbPasswordCommand) out.dbPassword = await runPasswordCommand(instance.dbPasswordCommand, `${role} instance ${instance.name} dbPasswordCommand`);
  return out;
}
