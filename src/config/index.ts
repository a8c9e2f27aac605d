/** The config room: schema, resolution (flags > env > file > defaults) and last-used values. */
export { CONFIG_FILE_NAME, DEFAULTS, userConfigFile, instanceDefaults, type ConfigFile, type InstanceEntry, type LastUsed, type StageLimits, type TimeoutName } from './schema.js';
export { envNames, readConfigFile, readDotEnv, resolveConfig, ROLES, type ConfigFlags, type ResolveConfigInput, type ResolvedConfig, type ResolvedInstance, type Role } from './resolve.js';
export { runPasswordCommand, secretsFromCommands } from './password-command.js';
export { parseCount } from './parse.js';
export { configWritePath, saveInstance, saveLastUsed, type SaveLastUsedInput } from './last-used.js';
