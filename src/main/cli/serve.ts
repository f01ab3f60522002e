// `hark serve`: the browser host.
import fs from 'node:fs';
import path from 'node:path';
import { demoProjectDir } from '../eval/demo';
import { parseArgs } from 'node:util';
import { createBackend } from '../backend';
import { appRoot } from '../paths';
import { startServer } from '../server';
import { UsageError, type Command } from './command';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve the workbench to a browser on 127.0.0.1 with a per-start token',
  usage: 'hark serve [--host H] [--port P] [--project DIR]',
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: { host: { type: 'string' }, port: { type: 'string' }, project: { type: 'string' } },
      strict: true,
    });
    const port = values.port === undefined ? 0 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535, got ${values.port}`);
    const handle = createBackend({ host: 'browser' });
    if (values.project) handle.openProject(path.resolve(values.project));
    else {
      // with no project named, open the last one, else the demo project when it has been built
      const recent = (await handle.backend['project.recent']({}, { host: 'browser' })).find((r) => r.exists);
      const demo = demoProjectDir();
      const pick = recent?.path ?? (fs.existsSync(path.join(demo, 'project.sqlite')) ? demo : null);
      if (pick) {
        try {
          handle.openProject(pick);
          io.out(`opened project ${pick}`);
        } catch (e) {
          io.err(`could not open ${pick}: ${(e as Error).message}`);
        }
      } else io.out('no project yet: build the demo project from the Project view, or run `npm run demo`');
    }
    const staticDir = path.join(appRoot(), 'out', 'renderer');
    const server = await startServer({ handle, host: values.host, port, staticDir });
    if (values.host && values.host !== '127.0.0.1' && values.host !== 'localhost' && values.host !== '::1') {
      io.err(`warning: listening on ${values.host}: anyone who can reach this address and has the token can use Hark`);
    }
    io.out(`Hark is serving at ${server.url}`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        void server.close().then(() => {
          handle.close();
          resolve();
        });
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
};
