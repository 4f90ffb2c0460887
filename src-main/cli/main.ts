import { allCommands } from './commands/index';
import { runCli } from './run-cli';

/** Process entry of the `lifeboat` command: real streams, signals, exit code. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const code = await runCli(argv, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env }, allCommands, controller.signal);
  process.exitCode = code;
}
