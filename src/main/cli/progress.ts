// Progress for the command line: a redrawn bar on a terminal, plain lines otherwise (logs, CI).
import type { CliIO } from './command';

export function cliProgress(io: CliIO, label: string): { update(p: { stage?: string; done: number; total: number }): void; end(): void } {
  let lastLine = 0;
  let lastPct = -1;
  let lastStage = '';
  const started = Date.now();
  return {
    update({ stage, done, total }) {
      const pct = total > 0 ? Math.floor((100 * done) / total) : 0;
      const st = stage ?? lastStage;
      const elapsed = (Date.now() - started) / 1000;
      const eta = done > 0 && total > done ? Math.round((elapsed / done) * (total - done)) : 0;
      if (io.tty) {
        const now = Date.now();
        if (now - lastLine < 80 && done < total && st === lastStage) return;
        lastLine = now;
        const width = 28;
        const fill = Math.round((width * pct) / 100);
        process.stdout.write(`\r${label} ${st} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${done}/${total}${eta ? ` ~${eta}s` : ''}   `);
      } else if (st !== lastStage || pct >= lastPct + 10 || (done === total && pct !== lastPct)) {
        lastPct = pct - (pct % 10);
        io.out(`${label} ${st}: ${done}/${total} (${pct}%)${eta ? `, about ${eta} s left` : ''}`);
      }
      lastStage = st;
    },
    end() {
      if (io.tty) process.stdout.write('\n');
    },
  };
}
