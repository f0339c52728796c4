import type { EntityManager } from '@mikro-orm/core';
import { requireAdmin, type Actor } from '../actor.js';
import { audit } from '../audit.js';
import { FreezeWindow, Project } from '../../db/entities/index.js';
import { UserError } from '../../errors.js';
import { CronError, parseCron } from './cron-match.js';
import { activeFreeze, MAX_RECURRING_SECONDS, nextStart, occurrenceEnd, type ActiveFreeze, type FreezeRule } from './freeze-windows.js';

export interface FreezeInput {
  /** A project name, or `all`. */
  scope: string;
  from?: Date;
  to?: Date;
  cron?: string;
  durationSeconds?: number;
  timeZone?: string;
  reason: string;
}

export interface FreezeView {
  id: number;
  scope: string;
  reason: string;
  timeZone: string;
  /** One-off: its times. Recurring: its cron and duration. */
  startsAt: Date | null;
  endsAt: Date | null;
  cron: string | null;
  durationSeconds: number | null;
  /** The occurrence in force now (its end), and the next start. */
  activeUntil: Date | null;
  nextStart: Date | null;
  createdBy: string;
}

/** Freeze windows: times when deploys wait (a release gate beside locks, which are a person's). */
export class FreezeService {
  constructor(
    private readonly em: EntityManager,
    private readonly defaultTimeZone: string = 'UTC',
  ) {}

  async add(actor: Actor, input: FreezeInput, now: Date = new Date()): Promise<FreezeView> {
    requireAdmin(actor, 'add freeze windows');
    const reason = input.reason.trim();
    if (!reason) throw new UserError('Say why deploys are frozen: `reason="…"`.', { reason: 'required' });
    if (reason.length > 500) throw new UserError('Keep the freeze reason under 500 characters.', { reason: 'too long' });
    const project = input.scope === 'all' ? null : await this.em.findOne(Project, { name: input.scope });
    if (input.scope !== 'all' && !project) throw new UserError(`No project named ${input.scope}. See \`project list\`, or freeze \`all\`.`);
    const timeZone = input.timeZone ?? this.defaultTimeZone;
    if (!isTimeZone(timeZone)) throw new UserError(`Unknown time zone ${timeZone}: use an IANA name such as Europe/Paris or UTC.`, { tz: 'unknown time zone' });
    const window = this.em.create(FreezeWindow, { project, timeZone, reason, createdBy: actor.id, createdAt: now });
    if (input.cron !== undefined) {
      if (input.from || input.to) throw new UserError('A freeze is either one-off (`from … to …`) or recurring (`cron="…" for=<duration>`), not both.');
      try {
        parseCron(input.cron);
      } catch (err) {
        if (err instanceof CronError) throw new UserError(`cron: ${err.message}.`, { cron: err.message });
        throw err;
      }
      const seconds = input.durationSeconds ?? 0;
      if (seconds < 60 || seconds > MAX_RECURRING_SECONDS) throw new UserError('A recurring freeze lasts from 1 minute to 14 days: `for=62h`, `for=30m`, `for=2d`.', { for: 'between 1m and 14d' });
      window.cron = input.cron.trim();
      window.durationSeconds = seconds;
    } else {
      if (!input.from || !input.to) throw new UserError('A one-off freeze needs both ends: `freeze add <project|all> from <time> to <time> reason="…"`.');
      if (input.to <= input.from) throw new UserError('A freeze must end after it starts.', { to: 'before the start' });
      if (input.to <= now) throw new UserError('That freeze would already be over: give an end in the future.', { to: 'in the past' });
      window.startsAt = input.from;
      window.endsAt = input.to;
    }
    audit(this.em, actor, 'freeze.add', `freeze:${input.scope}`, { reason, cron: window.cron ?? null, durationSeconds: window.durationSeconds ?? null, startsAt: window.startsAt ?? null, endsAt: window.endsAt ?? null, timeZone });
    await this.em.flush();
    return view(window, now);
  }

  async list(scope?: string, now: Date = new Date()): Promise<FreezeView[]> {
    const where = scope && scope !== 'all' ? { $or: [{ project: { name: scope } }, { project: null }] } : {};
    const windows = await this.em.find(FreezeWindow, where, { populate: ['project'], orderBy: { id: 'asc' } });
    // One-off windows that ended are history, not rules: they are left out.
    return windows.filter((w) => w.cron || (w.endsAt && w.endsAt > now)).map((w) => view(w, now));
  }

  async remove(actor: Actor, id: number): Promise<FreezeView> {
    requireAdmin(actor, 'remove freeze windows');
    const window = await this.em.findOne(FreezeWindow, { id }, { populate: ['project'] });
    if (!window) throw new UserError(`No freeze window #${id}. See \`freeze list\`.`);
    const shown = view(window, new Date());
    audit(this.em, actor, 'freeze.remove', `freeze:${shown.scope}`, { id, reason: window.reason });
    this.em.remove(window);
    await this.em.flush();
    return shown;
  }
}

/** The freeze holding a project now, read from the database. */
export async function projectFreeze(em: EntityManager, projectId: number, now: Date): Promise<ActiveFreeze | null> {
  const windows = await em.find(FreezeWindow, { $or: [{ project: projectId }, { project: null }] });
  return activeFreeze(windows.map(rule), projectId, now);
}

const rule = (w: FreezeWindow): FreezeRule => ({
  id: w.id,
  projectId: w.project ? w.project.id : null,
  startsAt: w.startsAt ?? null,
  endsAt: w.endsAt ?? null,
  cron: w.cron ?? null,
  durationSeconds: w.durationSeconds ?? null,
  timeZone: w.timeZone,
  reason: w.reason,
});

function view(w: FreezeWindow, now: Date): FreezeView {
  const r = rule(w);
  return {
    id: w.id,
    scope: w.project ? w.project.name : 'all',
    reason: w.reason,
    timeZone: w.timeZone,
    startsAt: w.startsAt ?? null,
    endsAt: w.endsAt ?? null,
    cron: w.cron ?? null,
    durationSeconds: w.durationSeconds ?? null,
    activeUntil: occurrenceEnd(r, now),
    nextStart: nextStart(r, now),
    createdBy: w.createdBy,
  };
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
