/** The event catalog of SPEC §1. `webhook.test` is sent only by `zwh test` and never subscribed to. */

export const EVENT_GROUPS = [
  {
    key: 'conversation',
    label: '对话事件',
    types: [
      { type: 'conversation.created', label: '对话创建', description: 'a conversation was created' },
      { type: 'conversation.closed', label: '对话关闭', description: 'a conversation was closed' },
      { type: 'message.received', label: '收到新消息', description: 'a new message arrived' },
    ],
  },
  {
    key: 'ticket',
    label: '工单事件',
    types: [
      { type: 'ticket.created', label: '工单创建', description: 'a ticket was created' },
      { type: 'ticket.updated', label: '工单更新', description: 'a ticket was updated' },
      { type: 'ticket.resolved', label: '工单解决', description: 'a ticket was resolved' },
      { type: 'ticket.closed', label: '工单关闭', description: 'a ticket was closed' },
    ],
  },
  {
    key: 'user',
    label: '用户事件',
    types: [
      { type: 'user.created', label: '用户创建', description: 'a user was created' },
      { type: 'user.updated', label: '用户更新', description: 'a user was updated' },
    ],
  },
] as const;

export const TEST_EVENT_TYPE = 'webhook.test';
export const ALL_EVENTS = '*';

export type SubscribableEventType = (typeof EVENT_GROUPS)[number]['types'][number]['type'];
export type EventType = SubscribableEventType | typeof TEST_EVENT_TYPE;

export const SUBSCRIBABLE_EVENT_TYPES: readonly SubscribableEventType[] = EVENT_GROUPS.flatMap((g) =>
  g.types.map((t) => t.type),
);

const subscribable = new Set<string>(SUBSCRIBABLE_EVENT_TYPES);

export function isSubscribableEventType(type: string): type is SubscribableEventType {
  return subscribable.has(type);
}

/** Does a webhook with this subscription list receive events of this type? */
export function subscribes(events: readonly string[], type: string): boolean {
  if (type === TEST_EVENT_TYPE) return false;
  return events.includes(ALL_EVENTS) || events.includes(type);
}
