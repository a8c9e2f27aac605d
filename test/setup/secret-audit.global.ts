/**
 * A test run writes only under a fresh temporary folder of its own (TMPDIR is pointed
 * there for every worker and every CLI it starts); files a test removes are moved aside
 * rather than deleted (secret-audit.worker.ts). At the end, every one of those files is
 * read: none may hold a secret the run noted (sandbox passwords, tokens) or a URL with a
 * password in it. A finding fails the run, naming the file and what it held.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const CREDENTIAL_URL = /\b[a-z][a-z0-9+.-]*:\/\/[^\s/@:"'<>]+:[^\s/@"'<>*]+@/i;
const MAX_BYTES = 64 * 1024 * 1024;

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'scancopy-audit-'));
  const runTmp = join(root, 'tmp');
  mkdirSync(join(runTmp, '.removed'), { recursive: true });
  process.env.SCANCOPY_TEST_AUDIT = root;
  process.env.SCANCOPY_TEST_AUDIT_TMP = runTmp;
  process.env.TMPDIR = runTmp;
  return () => {
    const lines = (name: string): string[] => (existsSync(join(root, name)) ? readFileSync(join(root, name), 'utf8').split('\n').filter(Boolean) : []);
    const secrets = [...new Set(lines('secrets.txt').map((l) => JSON.parse(l) as string))];
    const planted = new Set(lines('planted.txt'));
    const findings: string[] = [];
    let files = 0;
    for (const path of walk(runTmp)) {
      files += 1;
      const bytes = readFileSync(path);
      const text = bytes.toString('latin1');
      const where = relative(runTmp, path);
      for (const secret of secrets) if (text.includes(Buffer.from(secret, 'utf8').toString('latin1'))) findings.push(`${where}: holds a secret of the run (${secret.slice(0, 2)}...)`);
      const url = CREDENTIAL_URL.exec(text);
      if (url && !planted.has(createHash('sha256').update(bytes).digest('hex'))) findings.push(`${where}: holds a URL with a password (${url[0].replace(/:[^:@]+@$/, ':***@')})`);
    }
    rmSync(root, { recursive: true, force: true });
    // vitest reports an error thrown here but keeps its exit code: set the run's.
    if (findings.length > 0) process.exitCode = 1;
    if (findings.length > 0) throw new Error(`secret audit: ${findings.length} finding(s) in ${files} file(s) the run wrote:\n${findings.join('\n')}`);
    if (process.env.SCANCOPY_TEST_AUDIT_REPORT === '1') console.log(`secret audit: ${files} file(s), ${secrets.length} secret(s), no finding`);
  };
}

function* walk(dir: string): Generator<string> {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile() && statSync(path).size <= MAX_BYTES) yield path;
  }
}
