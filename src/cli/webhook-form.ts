/** The webhook form of the 智服云 console, shared by `add` and `update`: flags in, prompts for the rest. */
import { Option, type Command } from 'commander';
import type { WebhookInput } from '../app/webhooks.js';
import { ALL_EVENTS, EVENT_GROUPS } from '../domain/catalog.js';
import { checkUrl, validateName, validateSecret } from '../domain/validate.js';
import type { AuthType, Webhook } from '../domain/types.js';
import type { Prompter } from './prompts.js';

export interface WebhookFlags {
  name?: string;
  url?: string;
  auth?: string;
  username?: string;
  password?: string;
  token?: string;
  events?: string;
  secret?: string;
  disabled?: boolean;
  enabled?: boolean;
}

export function addWebhookFlags(cmd: Command): Command {
  return cmd
    .option('--name <name>', 'display name, 1–100 characters')
    .option('--url <url>', 'receiver endpoint, absolute https:// URL')
    .addOption(new Option('--auth <method>', 'how zwh authenticates to the receiver').choices(['basic', 'bearer', 'none']))
    .option('--username <user>', 'Basic auth user name')
    .option('--password <password>', 'Basic auth password')
    .option('--token <token>', 'Bearer token')
    .option('--events <types>', 'comma-separated event types, or * for all (see: zwh events)')
    .option('--secret <secret>', 'signing secret (default: generated)');
}

export function flagsToInput(f: WebhookFlags): WebhookInput {
  return {
    name: f.name,
    url: f.url,
    auth: f.auth,
    username: f.username,
    password: f.password,
    token: f.token,
    events: f.events,
    secret: f.secret,
    enabled: f.disabled ? false : f.enabled ? true : undefined,
  };
}

function asValidator(check: (v: string) => unknown): (v: string) => true | string {
  return (v) => {
    try {
      check(v);
      return true;
    } catch (err) {
      return (err as Error).message;
    }
  };
}

/**
 * Asks for whatever `input` lacks (for add) or offers every field pre-filled (for update, where
 * `current` is given). Credentials are masked; on update an empty answer keeps the stored one.
 */
export async function promptWebhook(p: Prompter, given: WebhookInput, current?: Webhook): Promise<WebhookInput> {
  const out: WebhookInput = { ...given };
  out.name ??= await p.input({ message: '名称 Name', default: current?.name, validate: asValidator(validateName) });
  out.url ??= await p.input({
    message: 'URL (https://…)',
    default: current?.url,
    validate: (v) => checkUrl(v) ?? true,
  });
  if (out.auth === undefined) {
    out.auth = await p.select<AuthType>({
      message: '认证方式 Authentication',
      choices: [
        { name: 'Basic (username + password)', value: 'basic' },
        { name: 'Bearer token', value: 'bearer' },
        { name: 'None', value: 'none' },
      ],
      default: current?.auth.type ?? 'basic',
    });
  }
  const keepHint = current && current.auth.type === out.auth ? ' (empty: keep the current one)' : '';
  const required = (what: string) => (v: string) => (v.length > 0 || keepHint ? true : `${what} is required`);
  if (out.auth === 'basic') {
    out.username ??= await p.input({
      message: '用户名 Username',
      default: current?.auth.type === 'basic' ? current.auth.username : undefined,
      validate: required('username'),
    });
    if (out.password === undefined) {
      const pw = await p.password({ message: `密码 Password${keepHint}`, validate: required('password') });
      if (pw !== '') out.password = pw;
    }
  } else if (out.auth === 'bearer' && out.token === undefined) {
    const token = await p.password({ message: `Token${keepHint}`, validate: required('token') });
    if (token !== '') out.token = token;
  }
  if (out.events === undefined) {
    const chosen = current?.events ?? [];
    const all = chosen.includes(ALL_EVENTS);
    const picked = await p.checkbox({
      message: '订阅事件 Events (space to choose, enter to confirm)',
      groups: EVENT_GROUPS.map((g) => ({
        label: g.label,
        choices: g.types.map((t) => ({ name: `${t.type}  ${t.label}`, value: t.type, checked: all || chosen.includes(t.type) })),
      })),
      validate: (values) => (values.length > 0 ? true : 'choose at least one event'),
    });
    const everything = EVENT_GROUPS.every((g) => g.types.every((t) => picked.includes(t.type)));
    out.events = everything ? [ALL_EVENTS] : picked;
  }
  if (out.secret === undefined) {
    const how = await p.select<'generate' | 'enter' | 'keep'>({
      message: '签名密钥 Signing secret',
      choices: [
        ...(current ? [{ name: 'Keep the current secret', value: 'keep' as const }] : []),
        { name: current ? 'Generate a new one (receivers must be updated)' : 'Generate one (recommended)', value: 'generate' },
        { name: 'Enter my own', value: 'enter' },
      ],
      default: current ? 'keep' : 'generate',
    });
    if (how === 'enter') out.secret = await p.password({ message: 'Signing secret', validate: asValidator(validateSecret) });
    else if (how === 'generate' && current) out.rotateSecret = true;
  }
  return out;
}
