/**
 * The entry of the command line, and the only place that turns an error into a line on stderr and
 * an exit code. A ZwhError carries its own code; commander's parse errors are usage errors (2);
 * anything else is a bug: "internal error", exit 1, with the stack under ZWH_DEBUG=1.
 */
import { Command, CommanderError } from 'commander';
import { ZwhError } from '../domain/errors.js';
import { VERSION } from '../domain/version.js';
import { registerAdd } from './add.js';
import { registerEmit } from './emit.js';
import { registerEnableDisable } from './enable.js';
import { registerEvents } from './events.js';
import type { Io } from './io.js';
import { registerList } from './list.js';
import { registerLogs } from './logs.js';
import { registerPrune } from './prune.js';
import { registerRemove } from './remove.js';
import { registerReplay } from './replay.js';
import { registerServe } from './serve.js';
import { Session, type CliDeps, type GlobalOptions } from './session.js';
import { registerShow } from './show.js';
import { registerStatus } from './status.js';
import { registerStop } from './stop.js';
import { registerTest } from './test.js';
import { registerUpdate } from './update.js';

export type SessionFactory = (command: Command) => Session;

function buildProgram(deps: CliDeps, sessions: Session[]): Command {
  const program = new Command('zwh');
  program
    .description('Webhook dispatcher for 智服云: signed, authenticated, retried, logged deliveries from one SQLite file.')
    .version(VERSION, '-V, --version')
    .option('--db <path>', 'database file (default: $ZWH_DB, else ~/.local/share/zwh/zwh.db)')
    .option('--json', 'machine-readable output on stdout')
    .option('--no-color', 'no colour (also NO_COLOR, or when stdout is not a terminal)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => deps.io.stdout.write(s),
      writeErr: (s) => deps.io.stderr.write(s),
      // Commander's errors become one line, with the next step.
      outputError: (s, write) => {
        const line = s.replace(/\s*\n\s*/g, ' ').trim();
        write(`${line} (see: zwh --help)\n`);
      },
    })
    .showSuggestionAfterError(true)
    .addHelpText('after', '\nExamples:\n  $ zwh add\n  $ zwh emit ticket.created --data \'{"ticket_id":"T-1"}\'\n  $ zwh serve\n  $ zwh logs --failed');

  const session: SessionFactory = (command) => {
    const s = new Session(deps, command.optsWithGlobals<GlobalOptions>());
    sessions.push(s);
    return s;
  };
  for (const register of [
    registerAdd, registerList, registerShow, registerUpdate, registerRemove, registerEnableDisable, registerEvents,
    registerEmit, registerTest, registerLogs, registerReplay, registerServe, registerStop, registerStatus, registerPrune,
  ]) {
    register(program, session);
  }
  return program;
}

/** Runs one command line and returns its exit code. Never calls process.exit. */
export async function run(argv: readonly string[], deps: CliDeps): Promise<number> {
  const sessions: Session[] = [];
  const program = buildProgram({ ...deps, argv }, sessions);
  const io = deps.io;
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return 0;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return sessions.reduce((code, s) => (s.exitCode !== 0 ? s.exitCode : code), 0);
  } catch (err) {
    return reportError(err, io);
  } finally {
    for (const s of sessions) s.close();
  }
}

export function reportError(err: unknown, io: Io): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    return 2; // already printed by outputError
  }
  if (err instanceof ZwhError) {
    io.stderr.write(`zwh: ${err.message}\n`);
    return err.exitCode;
  }
  io.stderr.write('zwh: internal error: this is a bug in zwh; run again with ZWH_DEBUG=1 for details\n');
  if (io.env.ZWH_DEBUG === '1') io.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  return 1;
}

/** The process entry: real streams and signals, and the exit code. */
export async function main(binPath: string): Promise<void> {
  const io: Io = {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    onSignal(handler) {
      const h = (sig: NodeJS.Signals) => handler(sig as 'SIGINT' | 'SIGTERM');
      process.on('SIGINT', h);
      process.on('SIGTERM', h);
      return () => {
        process.off('SIGINT', h);
        process.off('SIGTERM', h);
      };
    },
    exitNow(code: number): never {
      process.exit(code);
    },
  };
  // `zwh logs | head`: once the reader is gone there is nothing left to say. Leave quietly instead
  // of dying on an unhandled EPIPE with a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
      throw err;
    });
  }
  process.exitCode = await run(process.argv.slice(2), { io, binPath });
}
