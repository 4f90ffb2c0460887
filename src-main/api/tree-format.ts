/**
 * `drwxr-xr-x`-style permissions of a tree entry, as `ls -l` prints them (setuid, setgid and
 * sticky included). Shared by `lifeboat ls` and the restore wizard so both read the same.
 */
export function modeString(type: string, mode: number): string {
  const kind = type === 'dir' ? 'd' : type === 'symlink' ? 'l' : type === 'other' ? '?' : '-';
  const bits = ['r', 'w', 'x', 'r', 'w', 'x', 'r', 'w', 'x'].map((c, i) => (mode & (1 << (8 - i)) ? c : '-'));
  const special = (pos: number, bit: number, set: string, unset: string) => {
    if (mode & bit) bits[pos] = bits[pos] === 'x' ? set : unset;
  };
  special(2, 0o4000, 's', 'S');
  special(5, 0o2000, 's', 'S');
  special(8, 0o1000, 't', 'T');
  return kind + bits.join('');
}

/** `2024-01-01 00:00` (UTC) from milliseconds since the epoch. */
export function shortTime(ms: number): string {
  return new Date(Math.floor(ms)).toISOString().slice(0, 16).replace('T', ' ');
}

/** A file name for a terminal or a table: control characters shown as `\xNN`, everything else as is. */
export function printableName(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
