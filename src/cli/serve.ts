import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Command } from 'commander';
import { startServe } from '../app/serve.js';
import { parseDuration, parseRetrySchedule } from '../domain/durations.js';
import { UsageError, ZwhError } from '../domain/errors.js';
import { ATTEMPT_TIMEOUT_MS, RETRY_DELAYS_MS } from '../domain/limits.js';
import { USER_AGENT } from '../domain/version.js';
import type { AttemptReport } from '../dispatch/dispatcher.js';
import { createMetrics } from '../intake/metrics.js';
import { createIntakeServer, isLoopback, parseListen } from '../intake/server.js';
import type { SessionFactory } from './main.js';
import type { Session } from './session.js';

export interface ServeOptions {
  concurrency: string;
  perWebhook?: string;
  listen?: string;
  once?: boolean;
  detach?: boolean;
  caFile?: string;
  retrySchedule?: string;
  lease: string;
  grace: string;
  quiet?: boolean;
  pidFile?: string;
  logFile?: string;
}

export const pidFileFor = (dbPath: string) => `${dbPath}.serve.pid`;
export const logFileFor = (dbPath: string) => `${dbPath}.serve.log`;

export function readPid(path: string): number | null {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function wholeNumber(raw: string, flag: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag} "${raw}" must be a whole number from ${min} to ${max}`);
  return n;
}

function createLogger(s: Session, quiet: boolean) {
  const { c } = s.render;
  const line = (level: string, msg: string, fields: Record<string, unknown> = {}) => {
    const time = new Date(s.clock()).toISOString();
    if (s.json) s.io.stdout.write(JSON.stringify({ time, level, msg, ...fields }) + '\n');
    else s.io.stdout.write(`${c.dim(time)} ${level === 'error' ? c.red(msg) : msg}\n`);
  };
  return {
    info: (msg: string, fields?: Record<string, unknown>) => line('info', msg, fields),
    error: (msg: string, fields?: Record<string, unknown>) => line('error', msg, fields),
    attempt(r: AttemptReport) {
      if (quiet && r.result.outcome === 'ok') return;
      const ms = Math.round(r.result.durationMs);
      if (s.json) {
        return line(r.result.outcome === 'ok' ? 'info' : 'warn', 'attempt', {
          delivery_id: r.deliveryId, event_id: r.eventId, event: r.eventType, webhook_id: r.webhookId, attempt: r.attempt,
          outcome: r.result.outcome, status_code: r.result.statusCode, error: r.result.error, duration_ms: ms, status: r.status,
          next_attempt_at: r.nextAttemptAt === null ? null : new Date(r.nextAttemptAt).toISOString(),
        });
      }
      const what = r.result.statusCode !== null ? String(r.result.statusCode) : (r.result.error ?? r.result.outcome);
      const then =
        r.status === 'succeeded' ? c.green('delivered')
        : r.status === 'failed' ? c.red('failed, no retries left')
        : c.yellow(`retry in ${Math.round(((r.nextAttemptAt ?? 0) - s.clock()) / 1000)}s`);
      const mark = r.result.outcome === 'ok' ? c.green('✓') : c.red('✗');
      line('info', `${mark} ${r.deliveryId} ${r.eventType} → ${r.webhookId} attempt ${r.attempt}: ${what} in ${ms} ms, ${then}`);
    },
  };
}

/** Starts this same command line again as a background process, with a pid file and a log file. */
async function detach(s: Session, opts: ServeOptions): Promise<void> {
  const pidFile = opts.pidFile ?? pidFileFor(s.dbPath);
  const logFile = opts.logFile ?? logFileFor(s.dbPath);
  const existing = readPid(pidFile);
  if (existing !== null && processAlive(existing))
    throw new UsageError(`a detached serve is already running (pid ${existing}): stop it first with zwh stop`);
  if (!s.deps.binPath || !s.deps.argv) throw new UsageError('--detach needs the zwh binary: run it as zwh serve --detach');
  s.ctx(); // open (and create) the database now, so a bad --db fails here rather than in the background
  const args = s.deps.argv.filter((a) => a !== '--detach');
  const argsWithFiles = [...args, '--pid-file', pidFile, '--db', s.dbPath];
  const log = openSync(logFile, 'a', 0o600);
  const child = spawn(process.execPath, [s.deps.binPath, ...argsWithFiles], {
    detached: true,
    stdio: ['ignore', log, log],
    env: s.io.env,
  });
  closeSync(log);
  child.unref();
  let exited: number | null = null;
  child.on('exit', (code) => (exited = code ?? 1));
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (readPid(pidFile) === child.pid) break;
    if (exited !== null) throw new ZwhError('ZWH_FAILED', `serve exited at start (code ${exited}): see ${logFile}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  if (readPid(pidFile) !== child.pid) throw new ZwhError('ZWH_FAILED', `serve did not start within 10 s: see ${logFile}`);
  if (s.json) return s.printJson({ pid: child.pid, pid_file: pidFile, log_file: logFile });
  s.say(`serve running in the background (pid ${child.pid}); log: ${logFile}; stop it with zwh stop`);
}

export function registerServe(program: Command, session: SessionFactory): void {
  program
    .command('serve')
    .description('the dispatch daemon: delivers pending deliveries, retries 1s/5s/30s, optional intake API')
    .option('--concurrency <n>', 'sends in flight at most', '64')
    .option('--per-webhook <n>', 'sends in flight to one webhook at most (default: half of --concurrency)')
    .option('--listen <host:port>', 'also open the intake API (POST /v1/events, /healthz, /metrics)')
    .option('--once', 'deliver everything due, wait for retries, exit when nothing is pending (exit 1 if any ended failed)')
    .option('--detach', 'run in the background with a pid file and a log file (stop with zwh stop)')
    .option('--ca-file <path>', 'extra CA certificate (PEM) to trust for receivers (also NODE_EXTRA_CA_CERTS)')
    .option('--retry-schedule <delays>', 'delays between attempts', '1s,5s,30s')
    .option('--lease <duration>', 'how long a claimed delivery is ours before another serve may take it', '30s')
    .option('--grace <duration>', 'on SIGTERM/SIGINT, how long in-flight sends may finish', '10s')
    .option('--quiet', 'log failed attempts only, not every delivery')
    .option('--pid-file <path>', 'pid file (default: beside the database)')
    .option('--log-file <path>', 'log file with --detach (default: beside the database)')
    .addHelpText(
      'after',
      `
Examples:
  $ zwh serve                                   # foreground, for systemd
  $ ZWH_INTAKE_TOKEN=… zwh serve --listen 127.0.0.1:8787
  $ zwh serve --detach && zwh stop
  $ zwh serve --once                            # drain the queue and exit`,
    )
    .action(async (opts: ServeOptions, cmd: Command) => {
      const s = session(cmd);
      const concurrency = wholeNumber(opts.concurrency, '--concurrency', 1, 10_000);
      const perWebhook = opts.perWebhook === undefined ? Math.max(1, Math.ceil(concurrency / 2)) : wholeNumber(opts.perWebhook, '--per-webhook', 1, concurrency);
      const retryDelaysMs = opts.retrySchedule ? parseRetrySchedule(opts.retrySchedule) : [...RETRY_DELAYS_MS];
      const leaseMs = parseDuration(opts.lease, '--lease');
      // A claimed delivery may wait for one send to its webhook before its own send: the lease
      // must outlast both, or another serve could take it over while this one still holds it.
      if (leaseMs < 2 * ATTEMPT_TIMEOUT_MS + 1_000)
        throw new UsageError(`--lease must be at least ${(2 * ATTEMPT_TIMEOUT_MS + 1_000) / 1000}s (two ${ATTEMPT_TIMEOUT_MS / 1000} s attempts), e.g. 30s`);
      const graceMs = parseDuration(opts.grace, '--grace');
      const token = s.io.env.ZWH_INTAKE_TOKEN || undefined;
      const listen = opts.listen ? parseListen(opts.listen) : undefined;
      if (listen && !isLoopback(listen.host) && !token)
        throw new UsageError(`listening on ${listen.host} (beyond loopback) requires a token: set ZWH_INTAKE_TOKEN`);
      if (opts.detach) {
        if (opts.once) throw new UsageError('--detach and --once do not go together');
        return detach(s, opts);
      }

      const ctx = s.ctx();
      const log = createLogger(s, !!opts.quiet);
      const { createSender } = await import('../dispatch/sender.js'); // undici: a large import only serve and test need
      const sender = createSender({ caFile: opts.caFile, connectionsPerOrigin: perWebhook });
      // Signals are taken before anything starts: a SIGTERM during start-up is a graceful stop too.
      let signals = 0;
      let stopRequested: () => void = () => {};
      const stopSignal = new Promise<string>((resolve) => (stopRequested = () => resolve('signal')));
      const off = s.io.onSignal((sig) => {
        signals++;
        if (signals > 1) {
          log.error(`${sig} again: exiting now`);
          s.io.exitNow(130);
        }
        log.info(`${sig}: finishing in-flight deliveries (up to ${graceMs} ms), then exiting; ${sig} again to exit now`);
        // The watchdog guarantees the process ends even if something hangs.
        setTimeout(() => s.io.exitNow(1), graceMs + 5_000).unref();
        stopRequested();
      });
      let anyFailed = false;
      const handle = await startServe(ctx, sender, {
        concurrency,
        perWebhook,
        leaseMs,
        retryDelaysMs,
        pollMs: 50,
        userAgent: USER_AGENT,
        listen: opts.listen ?? null,
      });
      const metrics = createMetrics();
      handle.dispatcher.on('attempt', (r) => {
        metrics.recordAttempt(r.result.outcome, r.result.durationMs);
        if (r.status === 'failed') anyFailed = true;
        log.attempt(r);
      });
      handle.dispatcher.on('error', (err) => log.error(`error: ${err.message}`));

      let server: Server | undefined;
      if (listen) {
        server = createIntakeServer(ctx, metrics, {
          token,
          onRecorded: () => handle.dispatcher.nudge(),
          onError: (err) => log.error(`intake error: ${(err as Error)?.message ?? String(err)}`),
          inFlight: () => handle.dispatcher.inFlight(),
        });
        await new Promise<void>((resolve, reject) => {
          server!.once('error', reject);
          server!.listen(listen.port, listen.host, () => resolve());
        }).catch(async (err: NodeJS.ErrnoException) => {
          await handle.stop(0);
          throw new UsageError(`cannot listen on ${opts.listen} (${err.code ?? err.message}): choose another address`);
        });
      }
      const pidFile = opts.pidFile;
      if (pidFile) writeFileSync(pidFile, `${process.pid}\n`, { mode: 0o600 });
      log.info(`zwh serve ${handle.id} delivering from ${s.dbPath} (concurrency ${concurrency}, ${perWebhook} per webhook)` +
        (listen ? `; intake on http://${opts.listen}` : ''));

      try {
        const reason = await (opts.once ? Promise.race([handle.dispatcher.drained().then(() => 'drained'), stopSignal]) : stopSignal);
        server?.close();
        server?.closeAllConnections();
        const { released } = await handle.stop(graceMs);
        log.info(reason === 'drained' ? 'nothing pending: exiting' : `stopped${released ? `; released ${released} unfinished deliveries` : ''}`);
        if (opts.once && reason === 'drained' && anyFailed) s.exitCode = 1;
      } finally {
        off();
        if (pidFile && existsSync(pidFile) && readPid(pidFile) === process.pid) unlinkSync(pidFile);
      }
    });
}
