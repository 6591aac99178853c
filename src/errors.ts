/**
 * Coded errors. Every area keeps a small registry of codes (`HASTACK_SPEC_*`, `HASTACK_LB_*`, …);
 * callers branch on `code`, never on message text. `source` says whose mistake it is: `user`
 * errors exit the CLI with 1, `internal` ones with 2.
 */
export type ErrorSource = 'user' | 'internal';

export interface ErrorDefinition {
  readonly source: ErrorSource;
  /** One line for docs/errors.md: when it happens and what to do. */
  readonly summary: string;
}

export class HastackError extends Error {
  override readonly name = 'HastackError';
  readonly code: string;
  readonly source: ErrorSource;
  /** Extra structured facts (field problems, ids) for `--json` output. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: string,
    source: ErrorSource,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.source = source;
    this.details = options.details;
  }
}

/** Builds a typed factory for one area's registry, so each throw site names a known code. */
export function errorFactory<const R extends Record<string, ErrorDefinition>>(registry: R) {
  return function make(
    code: keyof R & string,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ): HastackError {
    const def = registry[code];
    if (def === undefined) throw new Error(`unknown error code ${code}`);
    return new HastackError(code, def.source, message, options);
  };
}

export function isHastackError(e: unknown): e is HastackError {
  return e instanceof HastackError;
}
