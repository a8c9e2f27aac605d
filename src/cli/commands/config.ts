/**
 * `scancopy config path|show`: which config file a command would read, and the settings it
 * resolves to (flags aside: environment, `.env`, the file, defaults). Secrets are never
 * shown: an instance shows its addresses and which secrets are set, not their values.
 */
import { Command } from 'commander';
import { homedir } from 'node:os';
import { CONFIG_FILE_NAME, resolveConfig, userConfigFile, type ResolvedInstance } from '../../config/index.js';
import { redactValue } from '../../core/redact.js';

export function configCommand(): Command {
  const cmd = new Command('config').description('Show which config file is used and the settings it resolves to (never a secret).');
  cmd
    .command('path')
    .description(`print the config file read from here (./${CONFIG_FILE_NAME}, else the user's config file), or say that there is none`)
    .option('--config <file>', 'a config file instead of ./scancopy.config.json')
    .action((flags: { config?: string }) => {
      const config = resolveConfig({ flags: { config: flags.config }, env: process.env, cwd: process.cwd() });
      if (config.configPath) process.stdout.write(`${config.configPath}\n`);
      else process.stderr.write(`no config file: neither ./${CONFIG_FILE_NAME} nor ${userConfigFile(process.env, homedir())} exists (the wizard creates the second; every key is optional)\n`);
    });
  cmd
    .command('show')
    .description('print the resolved settings as JSON: instances, folders, limits, timeouts, retries, last used')
    .option('--config <file>', 'a config file instead of ./scancopy.config.json')
    .action((flags: { config?: string }) => {
      const c = resolveConfig({ flags: { config: flags.config }, env: process.env, cwd: process.cwd() });
      const shown = {
        configPath: c.configPath ?? null,
        ...(c.source ? { source: addressOnly(c.source) } : {}),
        ...(c.target ? { target: addressOnly(c.target) } : {}),
        instances: c.instances,
        resultsDir: c.resultsDir,
        batchSize: c.batchSize,
        limits: c.limits,
        timeoutsMs: c.timeouts,
        retry: c.retry,
        lastUsed: c.lastUsed,
      };
      process.stdout.write(`${JSON.stringify(redactValue(shown), null, 2)}\n`);
    });
  return cmd;
}

/** What a resolved instance may show: addresses, and whether each secret is set. */
function addressOnly(i: ResolvedInstance): Record<string, unknown> {
  return {
    name: i.name,
    apiUrl: i.apiUrl,
    dbUrl: i.dbUrl,
    username: i.username ?? null,
    // Whether each is given (environment, .env or a command), never the value.
    given: {
      api: i.password !== undefined ? 'environment' : i.passwordCommand ? 'passwordCommand' : 'prompt',
      db: i.dbPassword !== undefined ? 'environment' : i.dbPasswordCommand ? 'dbPasswordCommand' : 'prompt',
    },
  };
}
