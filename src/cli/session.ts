import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AppContext } from '../app/context.js';
import { cryptoRandom, type RandomSource } from '../domain/ids.js';
import { systemClock, type Clock } from '../domain/types.js';
import { openStore, type Store } from '../store/store.js';
import type { Io } from './io.js';
import type { Prompter } from './prompts.js';
import { colorLevel, createRender, type Render } from './render.js';

export interface GlobalOptions {
  db?: string;
  json?: boolean;
  color?: boolean;
}

export interface CliDeps {
  io: Io;
  clock?: Clock;
  random?: RandomSource;
  /** Replaces the inquirer prompts (unit tests of interactive commands). */
  prompter?: Prompter;
  /** Path of bin/zwh.js, for `serve --detach`. */
  binPath?: string;
  /** The command line as given (after the program name), for `serve --detach`. */
  argv?: readonly string[];
}

/** `--db`, else ZWH_DB, else $XDG_DATA_HOME/zwh/zwh.db, else ~/.local/share/zwh/zwh.db. */
export function resolveDbPath(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag) return resolve(flag);
  if (env.ZWH_DB) return resolve(env.ZWH_DB);
  const dataHome = env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share');
  return join(dataHome, 'zwh', 'zwh.db');
}

/** One command's view of the process: output, colour, prompts, and the store opened on first use. */
export class Session {
  readonly io: Io;
  readonly json: boolean;
  readonly render: Render;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly dbPath: string;
  readonly deps: CliDeps;
  exitCode = 0;
  private store?: Store;
  private prompterInstance?: Prompter;

  constructor(deps: CliDeps, opts: GlobalOptions) {
    this.deps = deps;
    this.io = deps.io;
    this.json = !!opts.json;
    this.clock = deps.clock ?? systemClock;
    this.random = deps.random ?? cryptoRandom;
    this.dbPath = resolveDbPath(opts.db, deps.io.env);
    this.render = createRender(colorLevel({ color: opts.color !== false, env: deps.io.env, isTTY: !!deps.io.stdout.isTTY }));
  }

  ctx(): AppContext {
    this.store ??= openStore(this.dbPath);
    return { store: this.store, clock: this.clock, random: this.random };
  }

  get interactive(): boolean {
    return !!this.io.stdin.isTTY;
  }

  /** Loaded on first use: inquirer is a large import that non-interactive commands never need. */
  async prompter(): Promise<Prompter> {
    if (!this.prompterInstance) {
      const { createInquirerPrompter } = await import('./prompts.js');
      // With --json, prompts go to stderr so stdout holds nothing but JSON.
      this.prompterInstance =
        this.deps.prompter ??
        createInquirerPrompter({
          input: this.io.stdin,
          output: (this.json ? this.io.stderr : this.io.stdout) as NodeJS.WritableStream,
        });
    }
    return this.prompterInstance;
  }

  /** A line for people: on stdout normally, on stderr under --json (stdout is JSON only). */
  say(line: string): void {
    (this.json ? this.io.stderr : this.io.stdout).write(line + '\n');
  }

  printJson(value: unknown): void {
    this.io.stdout.write(JSON.stringify(value, null, 2) + '\n');
  }

  warn(line: string): void {
    this.io.stderr.write(line + '\n');
  }

  /** Progress for long work: stderr, only when it is a terminal. */
  progress(text: string | null): void {
    if (!this.io.stderr.isTTY) return;
    this.io.stderr.write(text === null ? '\r\x1b[K' : `\r\x1b[K${text}`);
  }

  close(): void {
    this.store?.close();
  }
}
