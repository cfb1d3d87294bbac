import { unlinkSync } from 'node:fs';
import type { Command } from 'commander';
import { NotFoundError, OperationFailedError } from '../domain/errors.js';
import type { SessionFactory } from './main.js';
import { pidFileFor, processAlive, readPid } from './serve.js';

export function registerStop(program: Command, session: SessionFactory): void {
  program
    .command('stop')
    .description('stop a detached serve gracefully (SIGTERM, then wait)')
    .option('--pid-file <path>', 'pid file (default: beside the database)')
    .option('--timeout <seconds>', 'how long to wait for it to exit', '30')
    .addHelpText('after', '\nExample:\n  $ zwh stop')
    .action(async (opts: { pidFile?: string; timeout: string }, cmd: Command) => {
      const s = session(cmd);
      const pidFile = opts.pidFile ?? pidFileFor(s.dbPath);
      const pid = readPid(pidFile);
      if (pid === null) throw new NotFoundError(`no detached serve: no pid file at ${pidFile}`);
      if (!processAlive(pid)) {
        unlinkSync(pidFile);
        throw new NotFoundError(`no serve is running (pid ${pid} from ${pidFile} is gone; removed the stale pid file)`);
      }
      process.kill(pid, 'SIGTERM');
      const deadline = Date.now() + Number(opts.timeout) * 1000;
      while (processAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (processAlive(pid)) throw new OperationFailedError(`serve (pid ${pid}) did not exit within ${opts.timeout} s`);
      if (s.json) return s.printJson({ stopped: true, pid });
      s.say(`stopped serve (pid ${pid})`);
    });
}
