// The helpers moved to test/helpers/volume-pull.ts so the benchmarks can use them too;
// this path stays because other suites import it.
export * from '../../helpers/volume-pull';
