/**
 * Step 1: an instance and its credentials. The instance is a saved one (config file), a
 * name (platform defaults), or an API URL and a DB URL (a sandbox, a tunnel). Secrets come
 * from the environment when set there, else masked prompts, and are never saved; a typed
 * username is remembered for that API. The login and the database are checked at once; a
 * failure says which one, and only what failed is asked again: the API or DB address when it
 * was not reached, the username and password or the DB password when they were refused.
 * Typed addresses are offered for saving once they work.
 */
import { envNames, resolveConfig, saveInstance, secretsFromCommands, type ConfigFlags, type ResolvedInstance, type Role } from '../../config/index.js';
import { findScanCopyError } from '../../core/errors.js';
import { classify } from '../../core/failure.js';
import { registerSecret, urlHasCredentials } from '../../core/redact.js';
import { isPostgresUrl } from '../../platform/db.js';
import { openInstance, type Instance } from '../../platform/instance.js';
import { ask, askSecret, choose, InvalidAnswer } from './prompts.js';
import type { WizardSession } from './session.js';

export interface OpenedInstance {
  instance: Instance;
  address: ResolvedInstance;
}

export type Address = Pick<ConfigFlags, 'source' | 'sourceApi' | 'sourceDb' | 'target' | 'targetApi' | 'targetDb'>;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

/** `preset`: an address known already (a run being resumed): only the secrets are asked. */
export async function askInstance(s: WizardSession, role: Role, preset?: Address): Promise<OpenedInstance> {
  const label = capitalize(role);
  const chosen = preset ?? (await chooseAddress(s, role));
  let address = resolveAddress(s, role, chosen);
  let typed = chosen[role] === undefined;
  let secrets = await askSecrets(s, role, address, { api: true, db: true });
  for (;;) {
    const candidate: ResolvedInstance = { ...address, ...secrets };
    // A quick probe (one retry), so a wrong address is reported in seconds; the run then opens
    // the instance with the configured timeouts, retries and stage limits.
    const probe = await openInstance(candidate, { timeouts: { login: 15_000 }, retry: { retries: 1, baseMs: 200, capMs: 1000 }, maxConnections: 1 });
    const [api, db] = await Promise.allSettled([probe.api.login(), probe.db.query('SELECT 1')]);
    await probe.close();
    const apiError = api.status === 'rejected' ? api.reason : undefined;
    const dbError = db.status === 'rejected' ? db.reason : undefined;
    s.print(apiError ? `  ✖ ${label} API login failed: ${messageOf(apiError)}` : `  ✔ ${label} API login OK (${address.apiUrl})`);
    s.print(dbError ? `  ✖ ${label} database failed: ${messageOf(dbError)}` : `  ✔ ${label} database OK (${address.dbUrl})`);
    if (!apiError && !dbError) {
      if (typed) address = await offerToSave(s, role, address);
      else if (!preset || s.config.instances[address.name]) await s.remember({ [role]: address.name });
      if (secrets.username !== undefined) await s.remember({ usernames: { ...s.lastUsed.usernames, [address.apiUrl]: secrets.username } });
      const { timeouts, retry, limits } = s.config;
      const opened: ResolvedInstance = { ...address, ...secrets };
      const instance = s.adopt(await openInstance(opened, { timeouts, retry, limits, maxConnections: 4 }));
      await instance.api.login();
      return { instance, address: opened };
    }
    const apiRefused = apiError !== undefined && classify(apiError).credentialsRefused;
    const dbRefused = dbError !== undefined && classify(dbError).credentialsRefused;
    if (apiError && !apiRefused) {
      s.print(`  The ${role} API was not reached: check its address.`);
      address = { ...address, apiUrl: await ask(`${label} API URL:`, parseApiUrl, { default: address.apiUrl }) };
      typed = true;
    }
    if (dbError && !dbRefused) {
      s.print(`  The ${role} database was not reached: check its address.`);
      address = { ...address, dbUrl: await ask(`${label} DB URL (postgres://user@host:port/db, no password):`, parseDbUrl, { default: address.dbUrl }) };
      typed = true;
    }
    if (apiRefused || dbRefused) {
      s.print(`  Enter the ${apiRefused && dbRefused ? 'API username and password and the DB password' : apiRefused ? 'API username and password' : 'DB password'} again.`);
      secrets = { ...secrets, ...(await askSecrets(s, role, address, { api: apiRefused, db: dbRefused }, { again: true, username: secrets.username })) };
    }
  }
}

/**
 * The menu keeps its numbers as instances are saved: the two ways to type one come first,
 * then the saved instances in the order they were saved (a new one is added at the end).
 */
async function chooseAddress(s: WizardSession, role: Role): Promise<Address> {
  const label = capitalize(role);
  const saved = Object.entries(s.config.instances);
  const last = s.lastUsed[role];
  const choices = [
    { name: 'Type an instance name (e.g. albt)', value: 'name' },
    { name: 'Type an API URL and a DB URL (a sandbox, a tunnel, a staging copy)', value: 'urls' },
    ...saved.map(([name, entry]) => ({ name: `${name} (${entry.api ?? `https://${name}.rebotics.net`})`, value: `saved:${name}` })),
  ];
  const preferred = last && saved.some(([n]) => n === last) ? `saved:${last}` : undefined;
  const how = await choose(`${label} instance:`, choices, preferred);
  if (how.startsWith('saved:')) return { [role]: how.slice('saved:'.length) };
  if (how === 'name') {
    const name = await ask(`${label} instance name:`, parseName, { default: last });
    return { [role]: name };
  }
  const api = await ask(`${label} API URL (e.g. http://127.0.0.1:8081):`, parseApiUrl);
  const db = await ask(`${label} DB URL (postgres://user@host:port/db, no password):`, parseDbUrl);
  return { [`${role}Api`]: api, [`${role}Db`]: db };
}

function resolveAddress(s: WizardSession, role: Role, address: Address): ResolvedInstance {
  return resolveConfig({ flags: address, env: s.io.env, cwd: s.io.cwd })[role] as ResolvedInstance;
}

/** Addresses that were typed (or corrected) and work: saved under a name when the user gives one. */
async function offerToSave(s: WizardSession, role: Role, address: ResolvedInstance): Promise<ResolvedInstance> {
  const named = s.config.instances[address.name] !== undefined;
  const name = await ask(`Save this ${role} as a named instance in the config (addresses only, never passwords)? Name, or Enter to skip:`, (text) =>
    text === '' ? '' : parseName(text),
  );
  if (!name) return address;
  try {
    const path = await saveInstance({ cwd: s.io.cwd, configPath: s.config.configPath, env: s.io.env }, name, { api: address.apiUrl, db: address.dbUrl });
    s.print(`  Saved "${name}" in ${path}${named && name === address.name ? ' (its new address)' : ''}.`);
    await s.remember({ [role]: name });
  } catch (err) {
    s.print(`  (not saved: ${messageOf(err)})`);
  }
  return { ...address, name };
}

type Secrets = Pick<ResolvedInstance, 'username' | 'password' | 'dbPassword'>;

/**
 * Asks for what the environment does not give. Asking again (after a failed check) ignores
 * the environment and password commands, whose values just failed, and offers the username
 * typed before; a first question offers the one remembered for this API.
 */
async function askSecrets(s: WizardSession, role: Role, address: ResolvedInstance, which: { api: boolean; db: boolean }, retry: { again: boolean; username?: string } = { again: false }): Promise<Secrets> {
  const { again } = retry;
  const label = capitalize(role);
  const env = envNames(role);
  const out: Secrets = {};
  const commands = again ? {} : await secretsFromCommands(address, role);
  const askUsername = (): Promise<string> =>
    ask(`${label} username:`, (text) => {
      if (!text) throw new InvalidAnswer('Please type the API username.');
      return text;
    }, { default: retry.username ?? s.lastUsed.usernames?.[address.apiUrl] });
  if (which.api) {
    if (!again && address.username !== undefined && address.password !== undefined) {
      s.print(`  API username and password from ${env.username} / ${env.password}.`);
      out.username = address.username;
      out.password = address.password;
    } else if (commands.password !== undefined) {
      out.username = address.username ?? (await askUsername());
      s.print(`  API password from the instance's passwordCommand.`);
      out.password = commands.password;
    } else {
      out.username = await askUsername();
      out.password = await askSecret(`${label} password:`);
    }
  }
  if (which.db && isPostgresUrl(address.dbUrl)) {
    if (!again && address.dbPassword !== undefined) {
      s.print(`  DB password from ${env.dbPassword}.`);
      out.dbPassword = address.dbPassword;
    } else if (commands.dbPassword !== undefined) {
      s.print(`  DB password from the instance's dbPasswordCommand.`);
      out.dbPassword = commands.dbPassword;
    } else {
      out.dbPassword = await askSecret(`${label} DB password (Enter for none):`, { allowEmpty: true });
    }
  }
  registerSecret(out.password);
  registerSecret(out.dbPassword);
  return out;
}

function parseName(text: string): string {
  if (!NAME.test(text)) throw new InvalidAnswer('An instance name is letters, digits, - and _ (e.g. albt, stgalbt).');
  return text;
}

function parseApiUrl(text: string): string {
  if (!/^https?:\/\/[^/\s]+/i.test(text) || !URL.canParse(text)) throw new InvalidAnswer('Expected an http:// or https:// URL, e.g. http://127.0.0.1:8081');
  if (urlHasCredentials(text)) throw new InvalidAnswer('Leave the user name and password out of the URL: they are asked for next, masked, and never saved.');
  return text.replace(/\/+$/, '');
}

function parseDbUrl(text: string): string {
  if (!/^postgres(ql)?:\/\//i.test(text) || !URL.canParse(text)) throw new InvalidAnswer('Expected a postgres:// URL, e.g. postgres://reader@127.0.0.1:5432/albt');
  if (new URL(text).password !== '') throw new InvalidAnswer('Leave the password out of the URL: it is asked for next, masked, and never saved.');
  return text;
}

function messageOf(err: unknown): string {
  const known = findScanCopyError(err);
  return known ? known.message : err instanceof Error ? err.message : String(err);
}

export function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
