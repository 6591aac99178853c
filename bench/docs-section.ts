import { existsSync, readFileSync, writeFileSync } from 'node:fs';

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
