import { errorFactory, type ErrorDefinition } from '../../errors.ts';

export const LB_ERRORS = {
  HASTACK_LB_INVALID_CONFIG: {
    source: 'user',
    summary: 'A load balancer setting cannot be used (e.g. successCodes not like "200", "200,202" or "200-299", or a non-positive time); the message names the field and the value received.',
  },
  HASTACK_LB_NOT_LOOPBACK: {
    source: 'user',
    summary: 'The twin\'s load balancer only listens on loopback (127.0.0.1, ::1 or localhost); another address was given.',
  },
  HASTACK_LB_LISTEN_FAILED: {
    source: 'user',
    summary: 'A listener could not bind its port (usually in use by another process); pick another twin.httpPort / twin.httpsPort, or 0 for a free one.',
  },
  HASTACK_LB_TLS_FAILED: {
    source: 'user',
    summary: 'The HTTPS listener could not be set up with the given key and certificate (unreadable PEM, or key and certificate do not match).',
  },
  HASTACK_LB_INVALID_TARGET: {
    source: 'internal',
    summary: 'A target was registered with a missing id, a non-loopback host or a port outside 1-65535.',
  },
  HASTACK_LB_TARGET_CONFLICT: {
    source: 'internal',
    summary: 'A target id was registered again with another address, or while it is still draining; deregister it and wait, or use a new id.',
  },
  HASTACK_LB_STATE: {
    source: 'internal',
    summary: 'A load balancer method was called in the wrong phase (start twice, or start after close).',
  },
} as const satisfies Record<string, ErrorDefinition>;

export type LbErrorCode = keyof typeof LB_ERRORS;

export const lbError = errorFactory(LB_ERRORS);
