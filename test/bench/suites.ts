import type { BenchSuite } from './bench-kit';

/** Every benchmark suite; each domain appends its own. */
export const suites: BenchSuite[] = [];
