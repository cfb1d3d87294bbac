import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from './paths.js';

export interface Running {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code; rejects if the process is still running after timeoutMs. */
  exited(timeoutMs?: number): Promise<number | null>;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

/** Starts the real built binary and keeps it running (serve). Output is collected for assertions. */
export function start(args: string[], env: NodeJS.ProcessEnv = {}): Running {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal === 'SIGKILL' ? null : code)));
  return {
    child,
    output: () => out,
    exited(timeoutMs = 30_000) {
      return Promise.race([
        exit,
        new Promise<number | null>((_, reject) => setTimeout(() => reject(new Error(`still running after ${timeoutMs} ms:\n${out}`)), timeoutMs).unref()),
      ]);
    },
    async waitForOutput(pattern, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(out)) {
        if (Date.now() > deadline) throw new Error(`no ${pattern} in output within ${timeoutMs} ms:\n${out}`);
        if (child.exitCode !== null) throw new Error(`exited (${child.exitCode}) before ${pattern}:\n${out}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
}

/** Polls `check` until it holds, for at most timeoutMs. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
