import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { LifeboatError } from '../api/errors';
import { type HostSummary, hostSummarySchema } from '../api/hosts-contract';
import { writeAtomic } from './host-keys';

const fileSchema = z.object({ version: z.literal(1), hosts: z.array(hostSummarySchema) });

/**
 * The hosts Lifeboat knows, in `<home>/hosts.json` (mode 0600, written atomically). It holds
 * no secrets: passwords and passphrases stay in the engine's memory.
 */
export class HostStore {
  readonly file: string;

  constructor(home: string) {
    this.file = join(home, 'hosts.json');
  }

  /** Every host, in the order they were added. */
  list(): HostSummary[] {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const parsed = fileSchema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      throw new LifeboatError('corrupt', `${this.file} is not a hosts file Lifeboat can read`, 'restore it from a backup or move it away; Lifeboat will start a new one');
    }
    return parsed.data.hosts;
  }

  /** One host by name, or a not-found error that says how to list them. */
  get(name: string): HostSummary {
    const host = this.list().find((h) => h.name === name);
    if (!host) throw new LifeboatError('not-found', `no host named "${name}"`, 'run "lifeboat host list" to see the hosts, or "lifeboat host add NAME URL" to add one');
    return host;
  }

  /** Whether a name is taken. */
  has(name: string): boolean {
    return this.list().some((h) => h.name === name);
  }

  /** Adds or replaces a host. */
  put(host: HostSummary): void {
    const hosts = this.list().filter((h) => h.name !== host.name);
    hosts.push(host);
    this.save(hosts);
  }

  /** Removes a host; false when it was not there. */
  remove(name: string): boolean {
    const hosts = this.list();
    const kept = hosts.filter((h) => h.name !== name);
    if (kept.length === hosts.length) return false;
    this.save(kept);
    return true;
  }

  private save(hosts: HostSummary[]): void {
    writeAtomic(this.file, `${JSON.stringify({ version: 1, hosts }, null, 2)}\n`);
  }
}
