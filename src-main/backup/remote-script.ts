/**
 * Shell functions for scripts that run a pipeline in a container: `kids PID` lists a process's
 * children from /proc (a command name may hold spaces or parentheses, so each stat line is cut
 * at its last ")"); `leaves PID` sends TERM to the leaves of its tree — the tools — and leaves
 * the shells between them alive to reap them.
 */
const treeFunctions = [
  'kids() { for f in /proc/[0-9]*/stat; do read -r l < "$f" 2>/dev/null || continue; r=${l##*) }; r=${r#* }; [ "${r%% *}" = "$1" ] && { q=${f#/proc/}; echo "${q%/stat}"; }; done; }',
  'leaves() { c=$(kids "$1"); if [ -z "$c" ]; then kill -TERM "$1" 2>/dev/null; else for k in $c; do leaves "$k"; done; fi; }',
].join('\n');

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
