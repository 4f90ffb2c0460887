import { readFileSync } from 'node:fs';
import type { Progress } from '../api/progress';
import { LifeboatError } from '../api/errors';
import type { CliIo, CommandArgs } from './command';
import { formatBytes } from './output';

/** Reads a secret from a file, dropping one trailing newline. */
export function readPassphraseFile(path: string): string {
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch {
    throw new LifeboatError('bad-input', `cannot read the passphrase file ${path}`, 'give a readable file (mode 0600) holding only the passphrase');
  }
}

/**
 * Asks for a secret on the terminal without echoing it (raw mode, characters consumed one by
 * one). Only used when stdin and stderr are terminals.
 */
export async function promptSecret(io: CliIo, question: string): Promise<string> {
  const stdin = io.stdin as NodeJS.ReadStream;
  io.stderr.write(question);
  const wasRaw = stdin.isRaw;
  stdin.setRawMode?.(true);
  stdin.resume();
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = '';
      const onData = (data: Buffer) => {
        for (const ch of data.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            stdin.off('data', onData);
            io.stderr.write('\n');
            resolve(value);
            return;
          }
          if (ch === '\u0003') {
            stdin.off('data', onData);
            io.stderr.write('\n');
            reject(new LifeboatError('cancelled', 'cancelled at the passphrase prompt'));
            return;
          }
          if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
          else value += ch;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode?.(wasRaw ?? false);
    stdin.pause();
  }
}

function canPrompt(io: CliIo): boolean {
  return Boolean(io.stdin.isTTY && io.stderr.isTTY);
}

/**
 * The vault passphrase: `--passphrase-file`, then `$LIFEBOAT_PASSPHRASE`, then a prompt when
 * there is a terminal to ask on. Never from argv.
 */
export async function vaultPassphrase(args: CommandArgs, options: { confirm?: boolean; stdinIsData?: boolean } = {}): Promise<string> {
  const file = args.values['passphrase-file'];
  if (typeof file === 'string') return readPassphraseFile(file);
  const env = args.io.env.LIFEBOAT_PASSPHRASE;
  if (env) return env;
  if (!options.stdinIsData && canPrompt(args.io)) return promptNew(args.io, 'Vault passphrase: ', options.confirm ?? false);
  throw new LifeboatError('bad-input', 'the vault passphrase is needed', 'set LIFEBOAT_PASSPHRASE or use --passphrase-file FILE');
}

/** The new passphrase of `vault passwd`: `--new-passphrase-file`, `$LIFEBOAT_NEW_PASSPHRASE`, or a prompt (twice). */
export async function newVaultPassphrase(args: CommandArgs): Promise<string> {
  const file = args.values['new-passphrase-file'];
  if (typeof file === 'string') return readPassphraseFile(file);
  const env = args.io.env.LIFEBOAT_NEW_PASSPHRASE;
  if (env) return env;
  if (canPrompt(args.io)) return promptNew(args.io, 'New vault passphrase: ', true);
  throw new LifeboatError('bad-input', 'the new passphrase is needed', 'set LIFEBOAT_NEW_PASSPHRASE or use --new-passphrase-file FILE');
}

async function promptNew(io: CliIo, question: string, confirm: boolean): Promise<string> {
  const first = await promptSecret(io, question);
  if (first.length === 0) throw new LifeboatError('bad-input', 'the passphrase is empty');
  if (confirm && (await promptSecret(io, 'Repeat it: ')) !== first) throw new LifeboatError('bad-input', 'the two passphrases differ', 'run the command again');
  return first;
}

/**
 * Draws `jobProgress` events as one status line on stderr, only when stderr is a terminal;
 * returns the function that clears it.
 */
export function showProgress(args: CommandArgs): () => void {
  const { stderr } = args.io;
  if (!stderr.isTTY) return () => undefined;
  let shown = false;
  const off = args.engine().onEvent((event, payload) => {
    if (event !== 'jobProgress') return;
    const p = payload as Progress;
    const total = p.bytesTotal ? ` / ${formatBytes(p.bytesTotal)}` : '';
    const eta = p.etaSeconds !== undefined ? `  ETA ${Math.ceil(p.etaSeconds)} s` : '';
    stderr.write(`\r\x1b[K${p.label}: ${formatBytes(p.bytesDone)}${total}  ${formatBytes(p.rate)}/s${eta}`);
    shown = true;
  });
  return () => {
    off();
    if (shown) stderr.write('\r\x1b[K');
  };
}
