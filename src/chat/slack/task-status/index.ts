import { releaseRefs, withRef } from '../../../core/tasks/release-lookup.js';
import { webApi } from '@slack/bolt';
import { summariseChanges } from '../../../core/tasks/change-summary.js';
import type { ProjectView } from '../../../core/views.js';
import type { TaskStatus } from '../../../db/entities/index.js';
import type { Logger } from '../../../log.js';
import type { PipelineEvent } from '../../../pipeline/events.js';
import { renderFlowPng } from '../../../render/index.js';
import type { Runtime } from '../../../runtime.js';
import { changeLines } from '../../../commands/replies/change-lines.js';
import { formatDuration, mention, STATUS_WORDS } from '../../../commands/replies/formatting.js';
import { taskLine } from '../../../commands/handlers/task-handlers.js';
import { TaskProgress } from '../../task-progress.js';
import { slackErrorCode } from '../modals.js';
import { CoalescedUpdater } from './coalesced-updater.js';
import { failureGroup, type HostFailure } from './failure-replies.js';
import { approverDecided, approverRequest, promoteDecided, promoteRequest, requesterNotice, type RequesterMoment } from './people-notices.js';
import { SlackBudget } from './slack-budget.js';
import { isUnreachable, SlackDelivery } from './slack-delivery.js';
import { taskMessage } from './task-message-blocks.js';
import { safeMrkdwn } from '../blocks/mrkdwn.js';
import { channelRef, linkRef } from '../../../core/mention.js';
import type { PublishResult, TaskMessages } from './task-messages.js';

export type { TaskMessages } from './task-messages.js';

/** A Slack user id (a shell user is a plain name: nobody to DM). */
const isSlackUser = (id: string): boolean => /^[UW][A-Z0-9]{2,}$/.test(id);

type Finished = Extract<PipelineEvent, { type: 'task.finished' }>;

interface FailureWave {
  stage: string;
  failures: HostFailure[];
  ts: string | null;
  updater: CoalescedUpdater;
}

interface TaskState {
  progress: TaskProgress;
  project: ProjectView | null;
  channel: string | null;
  ts: string | null;
  /** Slack work for this task runs in order (post before update, thread replies in sequence). */
  chain: Promise<void>;
  updater: CoalescedUpdater;
  snapshots: Set<'start' | 'failure' | 'end'>;
  /** Kept so a message posted after the task ended can still tell its result. */
  finished?: Finished;
  /** The status the requester last heard about (approved/rejected news is sent once). */
  toldStatus: TaskStatus | null;
  approverDms: { channel: string; ts: string }[];
  /** DMs asking approvers to Promote the canary (their button goes once promoted or ended). */
  promoteDms: { channel: string; ts: string }[];
  /** The canary's wait for a Promote was announced (once per task). */
  askedPromotion: boolean;
  waves: Map<string, FailureWave>;
  /** Where snapshots go when the task's channel refuses them (the requester's DM), said once. */
  uploadFallback: string | null;
  permalink: string | null;
}

export interface TaskMessagesDeps {
  runtime: Runtime;
  client: webApi.WebClient;
  log: Logger;
  /** Minimum time between two chat.update calls of one message. */
  updateIntervalMs?: number;
  /** The budget shared by every message of this process (default: Slack's tiers). */
  budget?: SlackBudget;
  /**
   * The client of the coalesced updates: it must reject 429s (rejectRateLimitedCalls) so the
   * updater, which knows the latest state, retries instead of the client's queue (default: one
   * derived from `client`).
   */
  updateClient?: webApi.WebClient;
}

export function createTaskMessages(deps: TaskMessagesDeps): TaskMessages {
  return new SlackTaskMessages(deps);
}

function rejectingClient(client: webApi.WebClient): webApi.WebClient {
  return new webApi.WebClient(client.token, { slackApiUrl: client.slackApiUrl, rejectRateLimitedCalls: true, retryConfig: { retries: 2, minTimeout: 200, maxTimeout: 1000 }, logLevel: webApi.LogLevel.ERROR });
}

/**
 * Keeps one Slack message per task in step with the task: posted where the deploy was requested,
 * updated (coalesced, within one Slack budget) as stages progress, with a thread for decisions,
 * grouped failures, flow snapshots and the result; approvers are asked, the requester hears
 * back, and a one-line notification goes to the project's channel when it ends. Every step after
 * a task ends is isolated: one failing never skips the others.
 */
class SlackTaskMessages implements TaskMessages {
  private readonly states = new Map<number, TaskState>();
  private unsubscribe: (() => void) | null = null;
  private readonly notified = new Set<number>();
  private readonly delivery: SlackDelivery;
  private readonly budget: SlackBudget;
  private readonly updates: webApi.WebClient;

  constructor(private readonly deps: TaskMessagesDeps) {
    this.delivery = new SlackDelivery(deps.client, deps.log);
    this.budget = deps.budget ?? new SlackBudget();
    this.updates = deps.updateClient ?? rejectingClient(deps.client);
  }

  start(): void {
    this.unsubscribe ??= this.deps.runtime.events.on((event) => this.onEvent(event));
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    await Promise.allSettled([...this.states.values()].map(async (s) => {
      await s.chain;
      await s.updater.flush();
      for (const wave of s.waves.values()) await wave.updater.flush();
    }));
  }

  publish(taskId: number, channel?: string): Promise<PublishResult> {
    const state = this.state(taskId, channel);
    let result: PublishResult = { channel: state.channel, refused: null };
    return this.enqueue(state, async () => {
      await this.refreshFromDatabase(state);
      if (!state.ts) result = await this.post(state);
      else state.updater.request();
      await this.afterDecision(state);
    }).then(() => result);
  }

  thread(taskId: number, text: string): Promise<void> {
    const state = this.state(taskId);
    return this.enqueue(state, async () => {
      await this.reply(state, text);
    });
  }

  private state(taskId: number, channel?: string): TaskState {
    let state = this.states.get(taskId);
    if (!state) {
      const warn = (what: string) => (err: unknown) => this.deps.log.warn(what, { taskId, error: slackErrorCode(err) });
      const created: TaskState = {
        progress: undefined as unknown as TaskProgress,
        project: null,
        channel: channel ?? null,
        ts: null,
        chain: Promise.resolve(),
        snapshots: new Set(),
        updater: new CoalescedUpdater(() => this.update(created), warn('task message update failed'), this.deps.updateIntervalMs ?? 1000, this.budget),
        toldStatus: null,
        approverDms: [],
        promoteDms: [],
        askedPromotion: false,
        waves: new Map(),
        uploadFallback: null,
        permalink: null,
      };
      created.chain = this.load(created, taskId);
      this.states.set(taskId, created);
      state = created;
    } else if (channel && !state.channel) {
      state.channel = channel;
    }
    return state;
  }

  private enqueue(state: TaskState, fn: () => Promise<void>): Promise<void> {
    const next = state.chain.then(fn);
    state.chain = next.catch((err) => this.deps.log.warn('task message work failed', { taskId: state.progress?.task.id, error: slackErrorCode(err) }));
    return next;
  }

  private async load(state: TaskState, taskId: number): Promise<void> {
    const { task, hosts } = await this.deps.runtime.app.withServices((s) => s.tasks.details(taskId));
    state.progress = TaskProgress.fromRecords(task, hosts);
    state.channel ??= task.slack?.channel ?? null;
    state.ts = task.slack?.ts ?? null;
    // A task found already decided (a restarted bot) is not news to its requester.
    state.toldStatus = task.status;
  }

  /** Decisions (approve, reject, cancel) change the task in the database, not through events. */
  private async refreshFromDatabase(state: TaskState): Promise<void> {
    const task = await this.deps.runtime.app.withServices((s) => s.tasks.show(state.progress.task.id));
    state.progress.releaseRefs = await this.deps.runtime.app.withServices((s) => releaseRefs(s.em, [task.releaseId, task.targetRelease, task.fromRelease]));
    const live = state.progress.task;
    // Keep what the live events know better (status while running), take the decisions.
    state.progress.task = { ...task, status: live.status === 'running' && task.status === 'running' ? live.status : task.status };
    const runtime = this.deps.runtime;
    state.project = await runtime.app.withServices((s) => s.projects.show(task.project)).catch(() => state.project);
    state.progress.queue = task.status === 'approved' || task.status === 'scheduled' ? await runtime.coordinator.queuePosition(task.id) : null;
    if (task.kind === 'deploy' && task.commit && !state.progress.changes && !state.progress.finished) {
      state.progress.changes = await runtime.app
        .withServices((s) => summariseChanges(s.em, runtime.git, task.project, task.commit!))
        .catch((err) => {
          this.deps.log.warn('could not list the changes of a deploy', { taskId: task.id, error: String(err) });
          return undefined;
        });
    }
  }

  private render(state: TaskState): { text: string; blocks: unknown[] } {
    const mode = state.project?.notifyApprovers ?? 'dm';
    const approvers = mode === 'none' ? [] : (state.project?.approvers ?? []).filter((a) => a !== state.progress.task.requestedBy);
    return taskMessage(state.progress, { timeZone: this.deps.runtime.app.config.timezone, approvers });
  }

  /**
   * Posts the task's message where it was requested; where the bot cannot post (a private channel
   * or DM it is not in) it goes to the project's channel instead. Approvers are then DM'd.
   */
  private async post(state: TaskState): Promise<PublishResult> {
    const result: PublishResult = { channel: null, refused: null };
    if (!state.channel) return result; // a task requested outside Slack has no message
    const message = this.render(state);
    const candidates = [state.channel, state.project?.notifyChannel, this.deps.runtime.app.config.notifyChannel].filter((c, i, all): c is string => Boolean(c) && all.indexOf(c) === i);
    for (const channel of candidates) {
      try {
        await this.budget.post(channel);
        const posted = await this.deps.client.chat.postMessage({ channel, text: message.text, blocks: message.blocks as never, unfurl_links: false });
        state.ts = posted.ts ?? null;
        state.channel = posted.channel ?? channel;
        break;
      } catch (err) {
        if (!isUnreachable(err)) throw err;
        if (channel === state.channel) result.refused = { channel, error: slackErrorCode(err) };
        this.deps.log.info('cannot post the task message here', { channel, error: slackErrorCode(err) });
      }
    }
    result.channel = state.ts ? state.channel : null;
    if (!state.ts) state.channel = null;
    await this.delivery.isolated('asking the approvers', () => this.askApprovers(state), { taskId: state.progress.task.id });
    if (!state.ts) return result;
    await this.deps.runtime.app.withServices((s) => s.tasks.attachMessage(state.progress.task.id, state.channel!, state.ts!));
    // The task may have started (or even ended) before its message existed: catch the thread up.
    if (state.progress.task.startedAt) await this.uploadSnapshot(state, 'start');
    for (const host of state.progress.failedHosts()) {
      await this.reply(state, safeMrkdwn(`✗ ${host.name} failed at ${host.failedStage}${host.exitCode != null ? ` (exit code ${host.exitCode})` : ''}: ${host.error ?? 'failed'}`));
    }
    if (state.finished) await this.finish(state, state.finished);
    return result;
  }

  private async update(state: TaskState): Promise<void> {
    if (!state.channel || !state.ts) return;
    const message = this.render(state);
    await this.updates.chat.update({ channel: state.channel, ts: state.ts, text: message.text, blocks: message.blocks as never });
  }

  private async reply(state: TaskState, text: string, blocks?: unknown[]): Promise<string | null> {
    if (!state.channel || !state.ts) return null;
    await this.budget.post(state.channel);
    const posted = await this.delivery.post({ channel: state.channel, thread_ts: state.ts, text, ...(blocks ? { blocks } : {}) });
    return posted.ts ?? null;
  }

  private async link(state: TaskState): Promise<string | null> {
    if (state.permalink || !state.channel || !state.ts) return state.permalink;
    const found = await this.deps.client.chat.getPermalink({ channel: state.channel, message_ts: state.ts }).catch(() => null);
    state.permalink = found?.permalink ?? null;
    return state.permalink;
  }

  /** Each approver (but the requester) gets the request in a DM, with the buttons and a link. */
  private async askApprovers(state: TaskState): Promise<void> {
    const t = state.progress.task;
    if (t.status !== 'awaiting_approval' || state.project?.notifyApprovers !== 'dm') return;
    const permalink = await this.link(state);
    const changes = state.progress.changes ? changeLines(state.progress.changes) : [];
    const message = approverRequest(t, changes, permalink);
    await this.dmEach(state.project.approvers.filter((a) => a !== t.requestedBy), message, 'approver DM', state.approverDms, t.id);
  }

  /** One DM per person (each isolated: one closed DM never stops the others), kept in `sent` for later edits. */
  private async dmEach(people: readonly string[], message: { text: string; blocks: unknown[] }, what: string, sent: { channel: string; ts: string }[], taskId: number): Promise<void> {
    for (const person of people) {
      await this.delivery.isolated(what, async () => {
        const channel = await this.delivery.dmChannel(person);
        await this.budget.post(channel);
        const posted = await this.deps.client.chat.postMessage({ channel, text: message.text, blocks: message.blocks as never, unfurl_links: false });
        if (posted.ts) sent.push({ channel: posted.channel ?? channel, ts: posted.ts });
      }, { taskId });
    }
  }

  /** Edits DMs sent earlier. DM edits count against chat.update's tier like every other update: they share the budget. */
  private async editEach(dms: readonly { channel: string; ts: string }[], message: { text: string; blocks: unknown[] }, what: string): Promise<void> {
    for (const dm of dms) {
      await this.delivery.isolated(what, async () => {
        await this.budget.update();
        await this.deps.client.chat.update({ ...dm, text: message.text, blocks: message.blocks as never });
      });
    }
  }

  /** After a decision: the approvers' DMs lose their buttons, and the requester hears of it. */
  private async afterDecision(state: TaskState): Promise<void> {
    const t = state.progress.task;
    if (t.status === 'awaiting_approval' || t.status === 'pending') return;
    if (state.approverDms.length) {
      const dms = state.approverDms.splice(0);
      const permalink = await this.link(state);
      await this.editEach(dms, approverDecided(t, permalink), 'approver DM update');
    }
    const decided = t.status === 'rejected' ? 'rejected' : t.status === 'approved' || t.status === 'scheduled' || (t.status === 'running' && t.approvedBy) ? 'approved' : null;
    if (!decided || state.toldStatus === 'rejected' || (decided === 'approved' && state.toldStatus !== null && state.toldStatus !== 'awaiting_approval' && state.toldStatus !== 'pending')) return;
    state.toldStatus = t.status;
    // Someone approving their own request needs no news of it.
    if (decided === 'approved' && t.approvedBy === t.requestedBy) return;
    await this.delivery.isolated('requester notice', () => this.tellRequester(state, decided), { taskId: t.id });
  }

  /**
   * The canary passed and the rest waits for a Promote: the approvers (but the requester) are
   * mentioned in the thread, so Slack notifies them (an edited message notifies no one), and in
   * `dm` mode each also gets a DM with the Promote button.
   */
  private async askPromotion(state: TaskState): Promise<void> {
    if (state.askedPromotion) return;
    state.askedPromotion = true;
    if (!state.project) await this.refreshFromDatabase(state);
    const t = state.progress.task;
    const mode = state.project?.notifyApprovers ?? 'dm';
    const approvers = (state.project?.approvers ?? []).filter((a) => a !== t.requestedBy);
    if (mode === 'none' || approvers.length === 0) return;
    const words = state.progress.canaryWords(new Date(), mention) ?? 'canary healthy; waiting for an approver to Promote';
    await this.reply(state, safeMrkdwn(`:hourglass_flowing_sand: ${words}: ${approvers.map(mention).join(', ')}`));
    if (mode !== 'dm') return;
    const permalink = await this.link(state);
    const message = promoteRequest(t, state.progress.canary?.hosts ?? [], permalink);
    await this.dmEach(approvers, message, 'promotion DM', state.promoteDms, t.id);
  }

  /** Promoted: the Promote DMs lose their button, and the requester hears who promoted it. */
  private async afterPromotion(state: TaskState): Promise<void> {
    await this.closePromotionDms(state);
    const t = state.progress.task;
    if (!t.promotedBy || t.promotedBy === t.requestedBy) return;
    await this.delivery.isolated('requester notice', () => this.tellRequester(state, 'promoted'), { taskId: t.id });
  }

  private async closePromotionDms(state: TaskState): Promise<void> {
    if (!state.promoteDms.length) return;
    const dms = state.promoteDms.splice(0);
    await this.editEach(dms, promoteDecided(state.progress.task, await this.link(state)), 'promotion DM update');
  }

  /** The requester's news, as the project says: a mention in the thread, a DM, or nothing. */
  private async tellRequester(state: TaskState, moment: RequesterMoment, error?: string): Promise<void> {
    const t = state.progress.task;
    const mode = state.project?.notifyRequester ?? 'mention';
    if (mode === 'none' || !isSlackUser(t.requestedBy)) return;
    const text = requesterNotice(t, moment, mode === 'dm' ? await this.link(state) : null, error);
    if (mode === 'mention' && state.ts) {
      await this.reply(state, text);
      return;
    }
    const dm = await this.delivery.dmChannel(t.requestedBy);
    await this.budget.post(dm);
    await this.deps.client.chat.postMessage({ channel: dm, text, unfurl_links: false });
  }

  /**
   * A flow snapshot in the thread. Sharing a file needs membership: the bot joins a public
   * channel; where it cannot, snapshots go to the requester's DM, and the thread says so once.
   */
  private async uploadSnapshot(state: TaskState, moment: 'start' | 'failure' | 'end'): Promise<void> {
    if (!state.channel || !state.ts || state.snapshots.has(moment)) return;
    state.snapshots.add(moment);
    const t = state.progress.task;
    const file = {
      file: renderFlowPng(state.progress.snapshot()),
      filename: `${t.kind}-${t.id}-${moment}.png`,
      title: `${t.kind === 'rollback' ? 'Rollback' : 'Deploy'} #${t.id} flow (${moment === 'start' ? 'started' : moment === 'failure' ? 'failure' : STATUS_WORDS[t.status]})`,
    };
    if (state.uploadFallback === null) {
      try {
        await this.delivery.upload({ channel: state.channel, threadTs: state.ts, ...file });
        return;
      } catch (err) {
        if (!isUnreachable(err) || !isSlackUser(t.requestedBy)) throw err;
        state.uploadFallback = await this.delivery.dmChannel(t.requestedBy);
        await this.reply(state, safeMrkdwn(`:information_source: I cannot share files in this channel (${slackErrorCode(err)}), so the flow snapshots of #${t.id} go to ${mention(t.requestedBy)}'s DM with me. Invite me here (\`/invite @deploybot\`) to get them in the thread.`));
      }
    }
    await this.delivery.upload({ channel: state.uploadFallback, ...file });
  }

  /** A failed server joins its stage's wave: the wave's one reply is posted, then edited. */
  private async failed(state: TaskState, event: HostFailure): Promise<void> {
    let wave = state.waves.get(event.stage);
    if (!wave) {
      const created: FailureWave = {
        stage: event.stage,
        failures: [],
        ts: null,
        updater: new CoalescedUpdater(
          async () => {
            if (!state.channel || !created.ts) return;
            const m = failureGroup(created.stage, created.failures);
            await this.updates.chat.update({ channel: state.channel, ts: created.ts, text: m.text, blocks: m.blocks as never });
          },
          (err) => this.deps.log.warn('failure reply update failed', { taskId: event.taskId, error: slackErrorCode(err) }),
          this.deps.updateIntervalMs ?? 1000,
          this.budget,
        ),
      };
      wave = created;
      state.waves.set(event.stage, wave);
    }
    wave.failures.push(event);
    if (wave.ts) {
      wave.updater.request();
      return;
    }
    const m = failureGroup(wave.stage, wave.failures);
    wave.ts = await this.reply(state, m.text, m.blocks);
  }

  /** The end of a task: each step on its own, so one failing never skips the others. */
  private async finish(state: TaskState, event: Finished): Promise<void> {
    const taskId = event.taskId;
    const step = (what: string, fn: () => Promise<unknown>) => this.delivery.isolated(what, fn, { taskId });
    state.updater.request();
    await step('final task message', () => state.updater.flush());
    for (const wave of state.waves.values()) await step('failure reply', () => wave.updater.flush());
    await step('promotion DMs', () => this.closePromotionDms(state));
    await step('result reply', () => this.reply(state, resultText(state.progress, event, state.project?.notifyRequester ?? 'mention')));
    await step('final snapshot', () => this.uploadSnapshot(state, 'end'));
    await step('channel notification', () => this.notify(state, event));
    const moment: RequesterMoment | null = event.status === 'success' ? 'success' : event.status === 'failed' ? 'failed' : event.status === 'interrupted' ? 'interrupted' : null;
    // In mention mode the result reply already mentions the requester.
    if (moment && state.project?.notifyRequester === 'dm') await step('requester notice', () => this.tellRequester(state, moment, event.error));
  }

  private onEvent(event: PipelineEvent): void {
    const state = this.state(event.taskId);
    void this.enqueue(state, async () => {
      const changed = state.progress.apply(event);
      if (event.type === 'task.finished') state.finished = event;
      if (event.type === 'task.finished' && !state.project) await this.refreshFromDatabase(state).catch(() => undefined);
      if (!state.ts) return; // no message (not a Slack task), or not posted yet: publish() will show it all
      const step = (what: string, fn: () => Promise<unknown>) => this.delivery.isolated(what, fn, { taskId: event.taskId });
      if (event.type === 'task.started') await step('start snapshot', () => this.uploadSnapshot(state, 'start'));
      if (event.type === 'canary.awaiting_promotion') await step('promotion request', () => this.askPromotion(state));
      if (event.type === 'canary.promoted') await step('promotion notices', () => this.afterPromotion(state));
      if (event.type === 'host.stage.finished' && event.state === 'failed') {
        await step('failure reply', () => this.failed(state, event));
        await step('failure snapshot', () => this.uploadSnapshot(state, 'failure'));
      }
      if (event.type === 'task.finished') {
        await this.finish(state, event);
        return;
      }
      if (changed) state.updater.request();
    });
    if (event.type === 'task.finished' && !state.ts) {
      void this.enqueue(state, async () => {
        if (state.ts) return; // posted meanwhile: post() ran finish()
        await this.delivery.isolated('channel notification', () => this.notify(state, event), { taskId: event.taskId });
      });
    }
  }

  /**
   * One line to the project's channel (or DEPLOYBOT_NOTIFY_CHANNEL) when a task ends. A channel the
   * bot cannot post in gets the line in the requester's DM instead, with how to fix it.
   */
  private async notify(state: TaskState, event: Finished): Promise<void> {
    if (this.notified.has(event.taskId)) return;
    this.notified.add(event.taskId);
    const channel = state.project?.notifyChannel ?? this.deps.runtime.app.config.notifyChannel;
    if (!channel) return;
    const permalink = await this.link(state);
    const emoji = event.status === 'success' ? ':large_green_circle:' : event.status === 'failed' ? ':red_circle:' : ':no_entry_sign:';
    const text = safeMrkdwn(`${emoji} ${taskLine(state.progress.task)} in ${formatDuration(event.durationMs)}${event.error ? ` — ${event.error.slice(0, 300)}` : ''}${permalink ? ` ${linkRef(permalink, 'details')}` : ''}`);
    try {
      await this.budget.post(channel);
      await this.delivery.post({ channel, text });
    } catch (err) {
      const requester = state.progress.task.requestedBy;
      if (!isUnreachable(err) || !isSlackUser(requester)) throw err;
      const dm = await this.delivery.dmChannel(requester);
      await this.budget.post(dm);
      await this.deps.client.chat.postMessage({ channel: dm, text: `${text}\n${safeMrkdwn(`:information_source: I could not post this in ${channelRef(channel)} (${slackErrorCode(err)}): invite me there with \`/invite @deploybot\`.`)}`, unfurl_links: false });
    }
  }
}

function resultText(p: TaskProgress, event: Finished, requesterMode: 'mention' | 'dm' | 'none'): string {
  const t = p.task;
  const cc = requesterMode === 'mention' && t.requestedBy ? `\ncc ${mention(t.requestedBy)}` : '';
  const head = `${t.kind === 'rollback' ? 'Rollback' : 'Deploy'} #${t.id} ${STATUS_WORDS[t.status]} in ${formatDuration(event.durationMs)}`;
  if (event.status === 'success') return safeMrkdwn(`:large_green_circle: ${head}: ${event.hosts.length} server${event.hosts.length > 1 ? 's' : ''} now serve \`${event.releaseId ? withRef(event.releaseId, p.releaseRefs ?? new Map()) : '?'}\`.${cc}`);
  const where = event.hosts.map((h) => `${h.name} → ${h.release ?? 'nothing'}${h.failed ? ' (failed)' : ''}`).join(', ');
  return safeMrkdwn(`${event.status === 'failed' ? ':red_circle:' : ':no_entry_sign:'} ${head}${event.error ? `: ${event.error}` : ''}${where ? `\nWhere each server stands: ${where}` : ''}${cc}`);
}
