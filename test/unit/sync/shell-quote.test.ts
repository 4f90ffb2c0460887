import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shellCommand, shellQuote } from '../../../src-main/sync/shell-quote';

const nasty = [
  "it's",
  '$(touch PWNED)',
  '`touch PWNED`',
  '; touch PWNED',
  '&& touch PWNED',
  '| touch PWNED',
  "'; touch PWNED; '",
  '"$HOME"',
  'a\nb',
  'café ☕',
  '-rf',
  '*',
  '\\',
  '',
];

describe('shellQuote', () => {
  it('makes every name one literal word for a real shell, executing nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-quote-'));
    for (const name of nasty) {
      const out = execFileSync('/bin/sh', ['-c', `printf '%s' ${shellQuote(name)}`], { cwd: dir, encoding: 'utf8' });
      expect(out).toBe(name);
    }
    expect(existsSync(join(dir, 'PWNED'))).toBe(false);
  });

  it('quotes whole argv arrays word by word', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-quote-'));
    const out = execFileSync('/bin/sh', ['-c', shellCommand(['printf', '%s|', ...nasty])], { cwd: dir, encoding: 'utf8' });
    expect(out).toBe(nasty.map((n) => `${n}|`).join(''));
    expect(existsSync(join(dir, 'PWNED'))).toBe(false);
  });

  it('refuses NUL bytes and empty commands', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
    expect(() => shellCommand([])).toThrow(/empty/);
  });
});
