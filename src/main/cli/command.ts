// A `hark` subcommand. Exit codes: 0 ok, 1 failure, 2 usage error.
export interface CliIO {
  out: (line: string) => void;
  err: (line: string) => void;
  /** true when stdout is a terminal: commands may draw a progress bar */
  tty: boolean;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[], io: CliIO): Promise<number>;
}

export class UsageError extends Error {}
