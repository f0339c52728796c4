import type { Actor } from '../../core/actor.js';
import type { FreezeView } from '../../core/gates/freeze-service.js';
import type { CoreServices } from '../../core/services.js';
import type { CommandDeps } from '../command-deps.js';
import type { CommandOutcome } from '../replies/command-outcome.js';
import type { CommandOf } from '../grammar/command-types.js';
import { formatDuration, formatTime, mention } from '../replies/formatting.js';
import { reply } from '../replies/reply.js';
import { resolveScheduleTime } from '../grammar/schedule-time.js';

type FreezeCommand = CommandOf<'freeze-add' | 'freeze-list' | 'freeze-remove'>;

/** One line per window: what, when, why, and whether it holds deploys now. */
export function freezeLine(f: FreezeView): string {
  const scope = f.scope === 'all' ? 'every project' : f.scope;
  const when = f.cron
    ? `\`${f.cron}\` for ${formatDuration((f.durationSeconds ?? 0) * 1000)} (${f.timeZone})`
    : `${formatTime(f.startsAt!, f.timeZone)} → ${formatTime(f.endsAt!, f.timeZone)}`;
  const state = f.activeUntil ? ` · :snowflake: in force until ${formatTime(f.activeUntil, f.timeZone)}` : f.nextStart ? ` · next ${formatTime(f.nextStart, f.timeZone)}` : '';
  return `#${f.id} ${scope}: ${when} · ${f.reason} · by ${mention(f.createdBy)}${state}`;
}

export async function handleFreezeCommand(command: FreezeCommand, actor: Actor, services: CoreServices, deps: CommandDeps): Promise<CommandOutcome> {
  const zone = deps.app.config.timezone;
  const now = deps.now?.() ?? new Date();
  switch (command.kind) {
    case 'freeze-add': {
      const tz = command.tz ?? zone;
      const window = await services.freezes.add(
        actor,
        {
          scope: command.scope,
          reason: command.reason,
          timeZone: tz,
          ...(command.cron !== undefined ? { cron: command.cron, durationSeconds: command.durationSeconds } : {}),
          ...(command.from ? { from: resolveScheduleTime(command.from, tz, now, { allowPast: true }) } : {}),
          ...(command.to ? { to: resolveScheduleTime(command.to, tz, now, { allowPast: true }) } : {}),
        },
        now,
      );
      const text = `Added freeze window ${freezeLine(window)}. Deploys requested, queued or scheduled in it wait until it ends; an admin can pass with \`override="why"\`.`;
      return { kind: 'reply', reply: reply(text, { type: 'text', text: `:snowflake: ${text}` }) };
    }
    case 'freeze-list': {
      const windows = await services.freezes.list(command.scope, now);
      if (windows.length === 0) return { kind: 'reply', reply: reply(command.scope ? `No freeze windows for ${command.scope}.` : 'No freeze windows.') };
      return { kind: 'reply', reply: reply(`${windows.length} freeze window${windows.length > 1 ? 's' : ''}`, { type: 'heading', text: 'Freeze windows' }, { type: 'list', items: windows.map(freezeLine) }) };
    }
    case 'freeze-remove': {
      const removed = await services.freezes.remove(actor, command.id);
      await deps.coordinator.dispatch();
      return { kind: 'reply', reply: reply(`Removed freeze window #${removed.id} (${removed.scope === 'all' ? 'every project' : removed.scope}: ${removed.reason}).`) };
    }
  }
}
