export { defineStack } from './define-stack.ts';
export { resolveSpec, checkSpec, formatProblem, type SpecProblem, type ResolveResult } from './resolve.ts';
export { loadSpec, loadConfigModule, checkConfigFile, DEFAULT_CONFIG_FILE } from './load-config.ts';
export { SPEC_ERRORS } from './errors.ts';
export { MANAGED_PARAMETERS, CLUSTER_INSTANCE_FAMILIES } from './database.ts';
export type * from './types.ts';
export { bucketNameProblem, bucketEnvName } from './storage.ts';
