import { NotFoundError, UsageError } from '../domain/errors.js';
import { newSigningSecret, newWebhookId } from '../domain/ids.js';
import type { AuthType, Webhook, WebhookAuth } from '../domain/types.js';
import { validateAuth, validateAuthType, validateEvents, validateName, validateSecret, validateUrl } from '../domain/validate.js';
import type { WebhookSummary } from '../store/webhooks-repo.js';
import type { AppContext } from './context.js';

/** Raw input from flags or prompts; everything is validated before anything is written. */
export interface WebhookInput {
  name?: string | undefined;
  url?: string | undefined;
  auth?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  token?: string | undefined;
  events?: string | readonly string[] | undefined;
  secret?: string | undefined;
  /** Update only: replace the signing secret with a newly generated one. */
  rotateSecret?: boolean | undefined;
  enabled?: boolean | undefined;
}

export function notFound(id: string): NotFoundError {
  return new NotFoundError(`webhook ${id} not found (see: zwh list)`);
}

function requireField<T>(value: T | undefined, flag: string): T {
  if (value === undefined) throw new UsageError(`missing ${flag} (see: zwh add --help)`);
  return value;
}

function buildAuth(type: AuthType, input: WebhookInput, previous?: WebhookAuth): WebhookAuth {
  // On update, keep the stored credential when the method stays and no new one is given.
  const keep = previous && previous.type === type ? previous : undefined;
  if (type === 'basic') {
    const username = input.username ?? (keep?.type === 'basic' ? keep.username : undefined);
    const password = input.password ?? (keep?.type === 'basic' ? keep.password : undefined);
    requireField(username, '--username (Basic auth needs a username)');
    requireField(password, '--password (Basic auth needs a password)');
    return validateAuth({ type, username, password });
  }
  if (type === 'bearer') {
    const token = input.token ?? (keep?.type === 'bearer' ? keep.token : undefined);
    requireField(token, '--token (Bearer auth needs a token)');
    return validateAuth({ type, token });
  }
  if (input.username !== undefined || input.password !== undefined || input.token !== undefined)
    throw new UsageError('--username, --password and --token go with --auth basic or --auth bearer, not none');
  return { type: 'none' };
}

export function addWebhook(ctx: AppContext, input: WebhookInput): Webhook {
  const name = validateName(requireField(input.name, '--name'));
  const url = validateUrl(requireField(input.url, '--url'));
  const authType = validateAuthType(requireField(input.auth, '--auth'));
  const auth = buildAuth(authType, input);
  const events = validateEvents(requireField(input.events, '--events'));
  const secret = input.secret !== undefined ? validateSecret(input.secret) : newSigningSecret(ctx.random);
  const now = ctx.clock();
  const webhook: Webhook = {
    id: newWebhookId(ctx.random),
    name,
    url,
    auth,
    secret,
    events,
    enabled: input.enabled ?? true,
    createdAt: now,
    updatedAt: now,
  };
  ctx.store.webhooks.insert(webhook);
  return webhook;
}

export function getWebhook(ctx: AppContext, id: string): Webhook {
  const w = ctx.store.webhooks.find(id);
  if (!w) throw notFound(id);
  return w;
}

export function listWebhooks(ctx: AppContext): WebhookSummary[] {
  return ctx.store.webhooks.list();
}

export function hasChanges(input: WebhookInput): boolean {
  return Object.values(input).some((v) => v !== undefined);
}

export function updateWebhook(ctx: AppContext, id: string, input: WebhookInput): Webhook {
  const current = getWebhook(ctx, id);
  if (!hasChanges(input)) throw new UsageError(`nothing to change for ${id}: give at least one flag (see: zwh update --help)`);
  const authType = input.auth !== undefined ? validateAuthType(input.auth) : current.auth.type;
  const authTouched = input.auth !== undefined || input.username !== undefined || input.password !== undefined || input.token !== undefined;
  const next: Webhook = {
    ...current,
    name: input.name !== undefined ? validateName(input.name) : current.name,
    url: input.url !== undefined ? validateUrl(input.url) : current.url,
    auth: authTouched ? buildAuth(authType, input, current.auth) : current.auth,
    events: input.events !== undefined ? validateEvents(input.events) : current.events,
    secret:
      input.secret !== undefined ? validateSecret(input.secret) : input.rotateSecret ? newSigningSecret(ctx.random) : current.secret,
    enabled: input.enabled ?? current.enabled,
    updatedAt: ctx.clock(),
  };
  if (!ctx.store.webhooks.update(next)) throw notFound(id);
  return next;
}

export function removeWebhook(ctx: AppContext, id: string): { failedPending: number } {
  const r = ctx.store.webhooks.remove(id, ctx.clock());
  if (!r.removed) throw notFound(id);
  return { failedPending: r.failedPending };
}

export function setWebhookEnabled(ctx: AppContext, id: string, enabled: boolean): Webhook {
  if (!ctx.store.webhooks.setEnabled(id, enabled, ctx.clock())) throw notFound(id);
  return getWebhook(ctx, id);
}
