import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../src-main/engine/paths';

/** Connection facts printed by `npm run --silent lab:info` (see test/lab/README.md). */
export interface LabInfo {
  ssh: {
    host: string;
    port: number;
    user: string;
    identityFile: string;
    encryptedIdentityFile?: string;
    encryptedIdentityPassphraseFile?: string;
    passwordUser?: string;
    passwordFile?: string;
    sudoUser?: string;
    hostKeyFile?: string;
    hostKeyFingerprint: string;
  };
  docker: { socket: string };
  stateDir: string;
  [key: string]: unknown;
}

let cached: LabInfo | undefined;

/** Reads the running lab's info; throws with the fix when the lab is down. */
export function labInfo(): LabInfo {
  if (cached) return cached;
  try {
    const out = execFileSync('bash', [join(packageRoot(), 'test', 'lab', 'lab.sh'), 'info'], { encoding: 'utf8' });
    cached = JSON.parse(out) as LabInfo;
    return cached;
  } catch (err) {
    throw new Error(`the test lab is not up (run "npm run lab:up"): ${(err as Error).message}`, { cause: err });
  }
}
