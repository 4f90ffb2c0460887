import { describe, expect, it } from 'vitest';
import { sweepStaleScratch } from '../../../src-main/restore/db/scratch-containers';
import { docker, labImage } from '../sync/pull-helpers';
import { labDocker } from './db-helpers';

describe('scratch containers left by a killed engine', () => {
  it('are swept once they are a day old; fresh ones and other names are kept', async () => {
    const name = `lifeboat-drill-${process.pid.toString(16).padStart(10, '0').slice(-10)}`;
    const other = `lbtest-sweep-${process.pid}`;
    for (const n of [name, other]) docker('create', '--name', n, '--label', 'org.lifeboat.created-by=lifeboat', '--network', 'none', labImage('tools'));
    try {
      expect(await sweepStaleScratch(labDocker)).not.toContain(name);
      expect(await sweepStaleScratch(labDocker, Date.now() + 25 * 3600 * 1000)).toContain(name);
      expect(docker('ps', '-aq', '--filter', `name=^${name}$`)).toBe('');
      expect(docker('ps', '-aq', '--filter', `name=^${other}$`)).not.toBe('');
    } finally {
      docker('rm', '-f', name, other);
    }
  });
});
