/**
 * Quotes one argument for a POSIX shell so it is always a single literal word: wrapped in
 * single quotes, with embedded single quotes closed, escaped and reopened. Names come from
 * servers and are never trusted, so nothing else (no allow-list, no escaping of $ or `) is
 * used: inside single quotes nothing is special.
 */
export function shellQuote(arg: string): string {
  if (arg.includes('\0')) throw new Error('refusing to quote an argument containing a NUL byte');
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Joins an argv array into one shell command line, every word quoted. */
export function shellCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('empty command');
  return argv.map(shellQuote).join(' ');
}
