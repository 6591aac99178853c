/**
 * Quoting for the two languages the instance's boot files are written in: POSIX shell (the
 * environment file and user data) and systemd unit files (ExecStart). Pure string functions.
 */

/** `s` as one shell word: single-quoted unless it is plainly safe (then as is). */
export function shellQuote(s: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * `s` as one word of a systemd command line (ExecStart): double-quoted with C-style escapes when
 * needed, and `%` and `$` doubled so systemd expands neither a specifier nor a variable in it.
 * For an `Environment=` assignment pass `{ variables: false }`: systemd does not expand `$` there.
 * @see https://www.freedesktop.org/software/systemd/man/latest/systemd.service.html#Command%20lines
 */
export function systemdQuote(s: string, o: { readonly variables?: boolean } = {}): string {
  // A lone semicolon would separate two commands.
  if (s === ';') return '\\;';
  let literal = s.replace(/%/g, '%%');
  if (o.variables !== false) literal = literal.replace(/\$/g, '$$$$');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(literal)) return literal;
  const escaped = literal.replace(/[\\"\n\t\r]/g, (c) => ({ '\\': '\\\\', '"': '\\"', '\n': '\\n', '\t': '\\t', '\r': '\\r' })[c] ?? c);
  return `"${escaped}"`;
}

/** The delimiter of every quoted here-document hastack writes into user data. */
export const HEREDOC_END = 'HASTACK_EOF';

/**
 * A command that writes `content` to `file` through a quoted here-document (nothing in it is
 * expanded). Returns undefined when a line of `content` would end the here-document early.
 */
export function writeFileCommand(file: string, content: string): string | undefined {
  if (content.split('\n').includes(HEREDOC_END)) return undefined;
  const body = content.endsWith('\n') ? content : `${content}\n`;
  return `cat > ${shellQuote(file)} <<'${HEREDOC_END}'\n${body}${HEREDOC_END}`;
}

/**
 * `script` without its comment lines (the `#!` line stays): how hastack's own scripts travel in
 * user data, whose size EC2 limits. Only whole lines whose first non-blank character is `#` go, so
 * the scripts must not hold such lines inside a multi-line string (a test runs them stripped).
 */
export function withoutCommentLines(script: string): string {
  return script
    .split('\n')
    .filter((line, i) => (i === 0 && line.startsWith('#!')) || !/^\s*#/.test(line))
    .join('\n');
}
