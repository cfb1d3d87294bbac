/**
 * The only module that imports inquirer. Commands talk to the Prompter interface, so unit tests of
 * `add` can answer prompts without a terminal; one end-to-end test drives the real prompts through
 * a pseudo-terminal.
 */
import { checkbox, confirm, input, password, select, Separator } from '@inquirer/prompts';
import { CancelledError } from '../domain/errors.js';

export type Validate = (value: string) => true | string;

export interface CheckboxGroup {
  label: string;
  choices: { name: string; value: string; checked?: boolean }[];
}

export interface Prompter {
  input(p: { message: string; default?: string; validate?: Validate }): Promise<string>;
  password(p: { message: string; validate?: Validate }): Promise<string>;
  select<T extends string>(p: { message: string; choices: { name: string; value: T }[]; default?: T }): Promise<T>;
  checkbox(p: { message: string; groups: CheckboxGroup[]; validate?: (values: string[]) => true | string }): Promise<string[]>;
  confirm(p: { message: string; default?: boolean }): Promise<boolean>;
}

function cancelled(err: unknown): never {
  const name = (err as Error)?.name;
  if (name === 'ExitPromptError' || name === 'AbortPromptError' || name === 'CancelPromptError') throw new CancelledError();
  throw err;
}

export function createInquirerPrompter(io: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream }): Prompter {
  const context = { input: io.input, output: io.output };
  return {
    input: (p) => input({ message: p.message, default: p.default, validate: p.validate }, context).catch(cancelled),
    password: (p) => password({ message: p.message, mask: '*', validate: p.validate }, context).catch(cancelled),
    select: <T extends string>(p: { message: string; choices: { name: string; value: T }[]; default?: T }) =>
      select<T>({ message: p.message, choices: p.choices, default: p.default }, context).catch(cancelled),
    checkbox: (p) =>
      checkbox<string>(
        {
          message: p.message,
          choices: p.groups.flatMap((g) => [new Separator(`── ${g.label} ──`), ...g.choices.map((c) => ({ ...c, checked: c.checked ?? false }))]),
          pageSize: 14,
          validate: p.validate ? (chosen) => p.validate!(chosen.map((c) => c.value)) : undefined,
        },
        context,
      ).catch(cancelled),
    confirm: (p) => confirm({ message: p.message, default: p.default }, context).catch(cancelled),
  };
}
