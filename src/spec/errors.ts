import { errorFactory, type ErrorDefinition } from '../errors.ts';

export const SPEC_ERRORS = {
  HASTACK_SPEC_INVALID: {
    source: 'user',
    summary: 'The stack config breaks one or more rules; every problem is listed with its field path, what was received and what is allowed.',
  },
  HASTACK_SPEC_NOT_FOUND: {
    source: 'user',
    summary: 'No config file at the given path (default hastack.config.ts in the current folder).',
  },
  HASTACK_SPEC_LOAD_FAILED: {
    source: 'user',
    summary: 'The config file exists but could not be loaded (syntax error, failed import, or no default export).',
  },
} as const satisfies Record<string, ErrorDefinition>;

export const specError = errorFactory(SPEC_ERRORS);
