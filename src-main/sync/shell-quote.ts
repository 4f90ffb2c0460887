import { LifeboatError } from '../api/errors';

/**
 * Quotes one argument for a POSIX shell so it is always a single literal word: wrapped in
 * single quotes, with embedded single quotes closed, escaped and reopened. Names come from
 * servers and are never trusted, so nothing else (no allow-list, no escaping of $ or `) is
 * used: inside single quotes nothing is special.
 */
export function shellQuote(arg: string): string {
  if (arg.includes('\0')) throw new LifeboatError('bad-input', 'a NUL byte cannot be passed to a remote command', 'this name came from the server and cannot be used as a shell word');
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Joins an argv array into one shell command line, every word quoted. */
export function shellCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('empty command');
  return argv.map(shellQuote).join(' ');
}
