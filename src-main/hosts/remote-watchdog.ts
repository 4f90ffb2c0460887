import { LifeboatError } from '../api/errors';
import { shellQuote } from '../sync/shell-quote';

/**
 * POSIX-sh functions over a server's (or a container's) /proc, shared by every script that
 * has to stop a process tree: `kids PID` lists a process's children (a command name may hold
 * spaces or parentheses, so each stat line is cut at its last ")"); `leaves PID` sends TERM to
 * the leaves of its tree — the tools — and leaves the shells between them alive to reap them.
 * They work in dash, bash and busybox ash (`2>/dev/null` comes first so that a process that
 * vanished mid-scan is not reported on stderr).
 */
export const procTreeFunctions = [
  'kids() { for f in /proc/[0-9]*/stat; do read -r l 2>/dev/null < "$f" || continue; r=${l##*) }; r=${r#* }; [ "${r%% *}" = "$1" ] && { q=${f#/proc/}; echo "${q%/stat}"; }; done; }',
  'leaves() { c=$(kids "$1"); if [ -z "$c" ]; then kill -TERM "$1" 2>/dev/null; else for k in $c; do leaves "$k"; done; fi; }',
].join('\n');

/**
 * Functions for stopping a whole tree without losing a process to a fork race:
 * `desc PID` — the tree under PID, parents first, skipping `$me` (a watcher that must not stop
 * itself) and what it runs; `st PID` — sets `$v` to the start time of a live, non-zombie
 * process (empty when gone), so a KILL after a grace period never hits a reused pid;
 * `freeze PID` — STOPs the tree under PID until no new process shows up and sets `$s` to
 * " pid pid … " (a stopped process cannot fork, so the list is then complete).
 */
const stopFunctions = [
  'desc() { for k in $(kids "$1"); do [ "$k" = "$me" ] || { echo "$k"; desc "$k"; }; done; }',
  'st() { v=; read -r l 2>/dev/null < "/proc/$1/stat" || return 0; set -- ${l##*) }; [ "$1" = Z ] || { shift 19; v=$1; }; }',
  `freeze() { s=' '; j=0; while [ $j -lt 20 ]; do n=; for q in $(desc "$1"); do case "$s" in *" $q "*) ;; *) kill -STOP "$q" 2>/dev/null; s="$s$q "; n=1;; esac; done; [ -n "$n" ] || return 0; j=$((j+1)); done; }`,
  // One step of a grace period: a tenth of a second where sleep takes fractions (GNU,
  // busybox), otherwise a whole second counted as ten steps.
  'pause() { sleep 0.1 2>/dev/null || { sleep 1; i=$((i+9)); }; i=$((i+1)); }',
].join('\n');

/** Grace period between TERM and KILL, in tenths of a second. */
const graceSteps = 50;

/**
 * The watcher of an SSH exec (a background subshell, so `$$` is the watchdog shell): it reads
 * the channel's stdin until EOF — sshd closes it when the channel closes, or right after the
 * watchdog shell exits. If the shell has exited (the command finished; the watcher now has a
 * different parent) there is nothing to do. Otherwise the channel was closed under a running
 * command (timeout, cancel, lost connection): the tree is frozen, sent TERM then CONT (so
 * handlers run), and whatever is still alive with the same start time after the grace period
 * gets KILL. Without /proc, only the command's own process gets TERM.
 */
const sshWatcher = [
  'while IFS= read -r x; do :; done',
  'read -r l < /proc/self/stat || { kill -TERM "$c"; exit 0; }',
  'me=${l%% *}; r=${l##*) }; r=${r#* }',
  '[ "${r%% *}" = "$$" ] || exit 0',
  'freeze $$',
  't=; for q in $s; do st "$q"; [ -n "$v" ] && t="$t $q:$v"; done',
  'for q in $s; do kill -TERM "$q" 2>/dev/null; done',
  'for q in $s; do kill -CONT "$q" 2>/dev/null; done',
  'i=0',
  'while :; do',
  '  a=; for e in $t; do st "${e%%:*}"; [ "$v" = "${e#*:}" ] && a="$a $e"; done; t=$a',
  '  [ -n "$t" ] || exit 0',
  `  [ $i -lt ${graceSteps} ] || break`,
  '  pause',
  'done',
  'for e in $t; do kill -KILL "${e%%:*}" 2>/dev/null; done',
].join('\n');

/**
 * The watchdog shell of an SSH exec (`sh -c SCRIPT lifeboat-exec COMMAND`). Its first stdin
 * line is the command's stdin, encoded for `printf %b` (empty: /dev/null); EOF before that line
 * means the client is already gone and nothing runs. The command runs in a fresh `sh -c`
 * in the background with its own stdin, the watcher gets the channel's stdin, and the watchdog
 * exits with the command's status. Its stdout and stderr are the channel's, untouched; the
 * watcher writes nothing. `sh` rather than the login shell (`$SHELL`, which sshd uses): our
 * commands are POSIX sh; a zsh, fish or tcsh login no longer reinterprets them; and bash,
 * started again under sshd's environment, would source ~/.bashrc a second time per exec.
 */
const sshWatchdogScript = [
  procTreeFunctions,
  stopFunctions,
  'IFS= read -r d || exit 0',
  'exec 3<&0',
  `if [ -n "$d" ]; then printf '%b' "$d" | sh -c "$1" sh 3<&- &`,
  'else sh -c "$1" sh </dev/null 3<&- &',
  'fi',
  'c=$!',
  `(\n${sshWatcher}\n) <&3 >/dev/null 2>&1 &`,
  'exec 3<&-',
  'wait "$c"',
].join('\n');

// A word as shellQuote and our callers write it: safe bare characters or single-quoted runs.
const plainWord = String.raw`(?:[A-Za-z0-9_./=:@%+,-]|'[^']*'|\\')+`;
const sudoShell = new RegExp(String.raw`^sudo -n (?:-- )?(sh -c ${plainWord}(?: ${plainWord})*)$`);

/**
 * Wraps an SSH command in the watchdog, so that closing the channel (timeout, cancel, a lost
 * connection) stops the command's whole process tree on the server: sshd does not signal a
 * command when a channel closes, and refuses channel signals for root logins. A command that
 * is exactly `sudo -n sh -c …` (single-quoted words only, as our callers build it) gets the
 * watchdog inside sudo, so it may stop the root processes; sudo runs `sh` either way.
 */
export function watchedCommand(command: string): string {
  const sudo = sudoShell.exec(command);
  const inner = sudo?.[1] ?? command;
  return `exec ${sudo ? 'sudo -n -- ' : ''}sh -c ${shellQuote(sshWatchdogScript)} lifeboat-exec ${shellQuote(inner)}`;
}

/** Largest stdin an `sshExec` takes; streams belong to `sshSpawn`. */
export const maxExecStdin = 4 * 2 ** 20;

const plainByte = /[A-Za-z0-9_./-]/;

/**
 * The first line a watched command reads from its channel: its stdin, every byte outside
 * [A-Za-z0-9_./-] written as a `\0ooo` octal escape for the shell's builtin `printf %b`
 * (NUL bytes included), then a newline. The data never appears in an argument list.
 */
export function watchdogStdinLine(data?: string | Buffer): Buffer {
  const bytes = data === undefined ? Buffer.alloc(0) : Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8');
  if (bytes.length > maxExecStdin) throw new LifeboatError('internal', `a remote command was given ${bytes.length} bytes of stdin (at most ${maxExecStdin})`, 'this is a bug in Lifeboat: stream large inputs with sshSpawn');
  let out = '';
  for (const byte of bytes) {
    const ch = String.fromCharCode(byte);
    out += plainByte.test(ch) ? ch : `\\0${byte.toString(8).padStart(3, '0')}`;
  }
  return Buffer.from(`${out}\n`, 'latin1');
}

/** Marker a container command prints first on stderr: its pid inside the container. */
export const containerPidMarker = 'lifeboat-pid:';

const pidEcho = `echo "${containerPidMarker}$$" >&2`;
const markerLine = new RegExp(`^${containerPidMarker}(\\d+)\\n`);

/**
 * Reads the stderr of a command started with the pid marker (`containerWatchedArgv`,
 * `containerSpawn`): the pid goes to `onPid` once, or undefined when the first line is
 * something else (a shell that could not start) or the stream ends first; everything else,
 * in order, to `onStderr`.
 */
export class PidMarkerReader {
  /** Stderr text before the marker line is complete; undefined once it is decided. */
  private head: string | undefined = '';

  constructor(
    private readonly onPid: (pid: string | undefined) => void,
    private readonly onStderr: (chunk: Buffer | string) => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.head === undefined) return this.onStderr(chunk);
    this.head += chunk.toString('utf8');
    const match = markerLine.exec(this.head);
    if (match) this.settle(match[1], this.head.slice(match[0].length));
    else if (this.head.length > 200 || (this.head.includes('\n') && !this.head.startsWith(containerPidMarker))) this.settle(undefined, this.head);
  }

  /** The stream ended: no pid will come, and what waited for one is stderr after all. */
  end(): void {
    if (this.head !== undefined) this.settle(undefined, this.head);
  }

  private settle(pid: string | undefined, rest: string): void {
    this.head = undefined;
    this.onPid(pid);
    if (rest) this.onStderr(rest);
  }
}

const shells = new Set(['sh', '/bin/sh']);

/**
 * The argv that runs `argv` in a container with its pid reported first on stderr (Docker has
 * no call that signals an exec'd process). `sh -c SCRIPT …` keeps its shell, with
 * `trap 'wait; exit 143' TERM` put before the script: on TERM the shell finishes (and reaps)
 * the command in hand, starts no further one, and waits for its background jobs before it
 * exits, so none of them is orphaned. Anything else is `exec`'d by a small shell, so the pid
 * is the tool's own. `trapped` tells `containerStopArgv` which form it is.
 */
export function containerWatchedArgv(argv: readonly string[]): { argv: string[]; trapped: boolean } {
  if (argv.length === 0) throw new LifeboatError('bad-input', 'empty command');
  const [shell, flag, script] = argv;
  if (shell !== undefined && shells.has(shell) && flag === '-c' && script !== undefined) {
    // The trap is set before the pid is told, and both go on the script's first line, so that
    // the line numbers in its error messages stay the same.
    return { argv: [shell, '-c', `trap 'wait; exit 143' TERM; ${pidEcho}; ${script}`, ...argv.slice(3)], trapped: true };
  }
  return { argv: pidReportingArgv(argv), trapped: false };
}

/** `argv` exec'd by a small shell that first reports its pid (the tool's own, after `exec`) on stderr. */
export function pidReportingArgv(argv: readonly string[]): string[] {
  return ['sh', '-c', `${pidEcho}; exec "$@"`, 'sh', ...argv];
}

/**
 * The stopper of a container command (run by a second exec, as the same user): in rounds a
 * tenth of a second apart it freezes the tree, sends TERM to its leaves (and, once, to a
 * trapped top shell) and lets everything continue, until the top process is gone; after the
 * grace period the leaves get KILL; after twice that it gives up (exit 1). Leaves first, so
 * every process dies while its parent is alive to reap it: an orphan would be reaped by the
 * container's PID 1, and PostgreSQL's postmaster takes any child that ended by a signal or
 * with a status other than 0 or 1 for a crashed backend and restarts every connection. (A
 * shell below the top one that exits before its own background jobs still orphans them; the
 * scripts Lifeboat runs this way have none.)
 */
const containerStopScript = [
  procTreeFunctions,
  stopFunctions,
  'p=$1; i=0',
  'while :; do',
  '  st "$p"; [ -n "$v" ] || exit 0',
  `  [ $i -lt ${2 * graceSteps} ] || exit 1`,
  `  g=TERM; [ $i -lt ${graceSteps} ] || g=KILL`,
  '  kill -STOP "$p" 2>/dev/null; freeze "$p"; s="$s$p "',
  '  for q in $s; do [ -n "$(kids "$q")" ] || kill -$g "$q" 2>/dev/null; done',
  '  [ "$2" = 1 ] && [ $i = 0 ] && kill -TERM "$p" 2>/dev/null',
  '  for q in $s; do kill -CONT "$q" 2>/dev/null; done',
  '  pause',
  'done',
].join('\n');

/** The argv of the exec that stops a container command started with `containerWatchedArgv`. */
export function containerStopArgv(pid: string, trapped: boolean): string[] {
  if (!/^[1-9][0-9]*$/.test(pid)) throw new LifeboatError('internal', `not a pid: ${pid}`);
  return ['sh', '-c', containerStopScript, 'lifeboat-stop', pid, trapped ? '1' : '0'];
}
