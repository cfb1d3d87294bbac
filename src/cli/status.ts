import type { Command } from 'commander';
import { getStatus } from '../app/status.js';
import type { SessionFactory } from './main.js';
import { ago } from './render.js';
import { statusView } from './views.js';

export function registerStatus(program: Command, session: SessionFactory): void {
  program
    .command('status')
    .description('queue depth by state, whether a serve is alive, success rate of the last 24 h')
    .addHelpText('after', '\nExamples:\n  $ zwh status\n  $ zwh status --json')
    .action((_opts: unknown, cmd: Command) => {
      const s = session(cmd);
      const now = s.clock();
      const st = getStatus(s.ctx());
      if (s.json) return s.printJson(statusView(st, now));
      const { c } = s.render;
      s.say(`deliveries  ${c.yellow(`${st.counts.pending} pending`)}  ${c.green(`${st.counts.succeeded} succeeded`)}  ${c.red(`${st.counts.failed} failed`)}`);
      if (st.oldestPendingAt !== null) s.say(`oldest pending  created ${ago(st.oldestPendingAt, now)}`);
      s.say(
        st.serves.length > 0
          ? `serve       ${c.green('alive')}: ${st.serves.map((v) => `pid ${v.pid}${v.listen ? ` on ${v.listen}` : ''} (heartbeat ${ago(v.heartbeatAt, now)})`).join(', ')}`
          : `serve       ${c.red('not running')} — pending deliveries wait until one starts (zwh serve)`,
      );
      const rate = st.successRate24h === null ? 'no deliveries finished' : `${(st.successRate24h * 100).toFixed(1)}% of ${st.finished24h.succeeded + st.finished24h.failed} succeeded`;
      s.say(`last 24 h   ${rate}`);
      if (st.webhooks.length > 0) {
        s.say(
          s.render.table(
            ['webhook', 'name', 'enabled', 'last success', 'failures in a row'],
            st.webhooks.map((w) => [
              w.id,
              w.name,
              w.enabled ? 'yes' : c.yellow('no'),
              w.lastSuccessAt === null ? c.dim('never') : ago(w.lastSuccessAt, now),
              w.consecutiveFailures === 0 ? '0' : c.red(`${w.consecutiveFailures}${w.streakCapped ? '+' : ''}`),
            ]),
          ),
        );
      }
    });
}
