import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCHMARKS_DOC = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));

/** Replaces (or appends) one `## heading` section of a Markdown file, keeping the others. */
export function writeSection(file: string, heading: string, body: string): void {
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const start = current.indexOf(`${heading}\n`);
  let next: string;
  if (start < 0) next = `${current.trimEnd()}\n\n${heading}\n\n${body}\n`;
  else {
    const after = current.indexOf('\n## ', start + heading.length);
    next = `${current.slice(0, start)}${heading}\n\n${body}\n${after < 0 ? '' : current.slice(after)}`;
  }
  writeFileSync(file, next);
}

/**
 * What every bench does with its report: print it on stdout and, unless told not to, put it in
 * its section of docs/benchmarks.md (saying so on stderr).
 */
export function publishSection(heading: string, md: string, write: boolean): void {
  process.stdout.write(`${md}\n`);
  if (!write) return;
  writeSection(BENCHMARKS_DOC, heading, md);
  process.stderr.write(`written to ${path.relative(process.cwd(), BENCHMARKS_DOC)}\n`);
}
