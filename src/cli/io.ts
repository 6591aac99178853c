/** Where the CLI writes: results to stdout, progress and errors to stderr. Injected for tests. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  readonly isTTY: boolean;
}

export const processIo: CliIo = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
  isTTY: Boolean(process.stdout.isTTY),
};

export const EXIT_OK = 0;
export const EXIT_USER = 1;
export const EXIT_INTERNAL = 2;
