/**
 * `scancopy/sandbox`: the sandbox platform (a real fastify server over PGlite or PostgreSQL)
 * as its own entry, so that `import 'scancopy'` does not load it.
 */
export { startSandbox, SANDBOX_DEFAULTS } from './sandbox.js';
export type { SandboxOptions, RunningSandbox } from './sandbox.js';
export { parseFaults, FAULTS_HELP } from './faults.js';
export type { FaultPlan } from './faults.js';
