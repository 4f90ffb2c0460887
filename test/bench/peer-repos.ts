import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

/** The deduplicating, encrypting backup tools the benches measure Lifeboat against. */
export type PeerTool = 'restic' | 'borg';

/** Whether `tool` is installed (its version command runs). */
export function hasPeer(tool: PeerTool): boolean {
  return spawnSync(tool, [tool === 'restic' ? 'version' : '--version'], { stdio: 'ignore' }).status === 0;
}

/** The environment a peer needs for repositories under `scratch`: passphrase, cache and base dirs. */
export function peerEnv(tool: PeerTool, scratch: string, passphrase: string): NodeJS.ProcessEnv {
  return tool === 'restic'
    ? { RESTIC_PASSWORD: passphrase, RESTIC_CACHE_DIR: join(scratch, 'restic-cache') }
    : { BORG_PASSPHRASE: passphrase, BORG_BASE_DIR: join(scratch, 'borg-base'), BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes' };
}

/** Runs a peer command to completion; its stdout, or an error with its stderr. */
export function runPeer(tool: PeerTool, args: string[], env: NodeJS.ProcessEnv): string {
  const r = spawnSync(tool, args, { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A fresh, empty repository at `repo` (whatever was there is removed), with each tool's defaults. */
export function initPeerRepo(tool: PeerTool, repo: string, env: NodeJS.ProcessEnv): void {
  rmSync(repo, { recursive: true, force: true });
  runPeer(tool, tool === 'restic' ? ['init', '-q', '-r', repo] : ['init', '-e', 'repokey-blake2', repo], env);
}

/**
 * A backup's duration by the tool's own clock (after its start-up and key derivation), from
 * the `--json` output of `restic backup` or `borg create`; 0 when the output has none.
 */
export function ownDuration(tool: PeerTool, json: string): number {
  try {
    const text = json.trim();
    if (tool === 'restic') return (JSON.parse(text.split('\n').at(-1) ?? '{}') as { total_duration?: number }).total_duration ?? 0;
    return (JSON.parse(text) as { archive?: { duration?: number } }).archive?.duration ?? 0;
  } catch {
    return 0;
  }
}
