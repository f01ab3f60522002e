// Process entry for `hark`: run the CLI and exit with its code.
import { main, processIO } from './cli';

main(process.argv.slice(2), processIO).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`hark: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
