// `hark` command line: one dispatcher over the subcommands in cli/commands.ts.
import { appVersion } from './paths';
import { COMMANDS } from './cli/commands';
import { UsageError, type CliIO } from './cli/command';

export function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `hark ${appVersion()} — anomalous sound detection workbench`,
    '',
    'usage: hark <command> [options]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "run 'hark <command> --help' for a command's options",
  ].join('\n');
}

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 usage). */
export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(helpText());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v') {
    io.out(appVersion());
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    io.err(`hark: unknown command '${name}'\n\n${helpText()}`);
    return 2;
  }
  try {
    const command = await entry.load();
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(`usage: ${command.usage}\n\n${command.summary}`);
      return 0;
    }
    return await command.run(rest, io);
  } catch (e) {
    const usage = e instanceof UsageError || (e as { code?: string })?.code?.startsWith?.('ERR_PARSE_ARGS');
    io.err(`hark ${name}: ${e instanceof Error ? e.message : String(e)}`);
    if (usage) io.err(`run 'hark ${name} --help' for its options`);
    return usage ? 2 : 1;
  }
}

export const processIO: CliIO = {
  out: (l) => process.stdout.write(l + '\n'),
  err: (l) => process.stderr.write(l + '\n'),
  tty: Boolean(process.stdout.isTTY),
};
