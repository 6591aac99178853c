import { errorFactory, type ErrorDefinition } from '../errors.ts';

export const RESILIENCE_ERRORS = {
  HASTACK_LOAD_NOT_LOOPBACK: {
    source: 'user',
    summary: 'A load generator target was not on this machine; load is only ever sent to 127.0.0.0/8, localhost or [::1].',
  },
  HASTACK_LOAD_BAD_OPTIONS: {
    source: 'user',
    summary: 'A load generator option was out of range (rate, duration, timeout); the message names it.',
  },
} as const satisfies Record<string, ErrorDefinition>;

export const resilienceError = errorFactory(RESILIENCE_ERRORS);
