import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** What e2e tests need from `lab:info`: how to reach the lab's SSH server. */
export interface E2eLab {
  ssh: { host: string; port: number; user: string; identityFile: string; hostKeyFingerprint: string };
}

/** The running lab's facts, or undefined when the lab is not up (the test then skips with a reason). */
export function labOrUndefined(): E2eLab | undefined {
  try {
    return JSON.parse(execFileSync('bash', [join(__dirname, '..', 'lab', 'lab.sh'), 'info'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as E2eLab;
  } catch {
    return undefined;
  }
}
