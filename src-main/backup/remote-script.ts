import { procTreeFunctions as treeFunctions } from '../hosts/remote-watchdog';

/**
 * Makes a script stoppable by the TERM that cancel sends to its shell (`containerSpawn`'s
 * kill): the work must run in the background with the script `wait`ing for it (a shell defers
 * traps while a foreground command runs); on TERM the tools get TERM, the script waits for
 * its job, runs `cleanup`, and exits 143. Nothing may be orphaned: in a database container
 * PID 1 is usually the server itself, and a stray child that dies by a signal makes
 * PostgreSQL's postmaster assume a crashed backend and restart every connection (seen in
 * testing with a trap that killed the shells too).
 */
export function stopOnTerm(cleanup = ''): string {
  return `${treeFunctions}\ntrap 'for j in $(kids $$); do leaves "$j"; done; wait; ${cleanup ? `${cleanup}; ` : ''}exit 143' TERM INT HUP`;
}
