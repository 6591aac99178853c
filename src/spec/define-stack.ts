import type { StackConfig } from './types.ts';

/** Identity function that gives a config file its types: `export default defineStack({...})`. */
export function defineStack<const T extends StackConfig>(config: T): T {
  return config;
}
