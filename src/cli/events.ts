import type { Command } from 'commander';
import { EVENT_GROUPS, TEST_EVENT_TYPE } from '../domain/catalog.js';
import type { SessionFactory } from './main.js';

export function registerEvents(program: Command, session: SessionFactory): void {
  program
    .command('events')
    .description('the event catalog')
    .addHelpText('after', '\nExample:\n  $ zwh events')
    .action((_opts: unknown, cmd: Command) => {
      const s = session(cmd);
      if (s.json)
        return s.printJson(
          EVENT_GROUPS.flatMap((g) => g.types.map((t) => ({ type: t.type, group: g.key, label: t.label, description: t.description }))),
        );
      const rows = EVENT_GROUPS.flatMap((g) => g.types.map((t) => [`${g.label} ${g.key}`, t.type, `${t.label} ${t.description}`]));
      rows.push(['test', TEST_EVENT_TYPE, 'sent only by zwh test; never subscribed to']);
      s.say(s.render.table(['group', 'type', 'meaning'], rows));
    });
}
