import type { BenchSuite } from './bench-kit';
import { backupDumpBench } from './backup-dump-bench';
import { discoveryBench } from './discovery-bench';
import { restoreBench } from './restore-bench';
import { vaultBench } from './vault-bench';
import { volumePullBench } from './volume-pull-bench';

/** Every benchmark suite; each domain appends its own. */
export const suites: BenchSuite[] = [discoveryBench, vaultBench, volumePullBench, restoreBench, backupDumpBench];
