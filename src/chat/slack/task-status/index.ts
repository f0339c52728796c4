import type { webApi } from '@slack/bolt';
import { summariseChanges } from '../../../core/change-summary.js';
import type { Logger } from '../../../log.js';
import type { PipelineEvent } from '../../../pipeline/events.js';
import { renderFlowPng } from '../../../render/index.js';
import type { Runtime } from '../../../runtime.js';
import { formatDuration, mention, STATUS_WORDS } from '../../../commands/formatting.js';
import { taskLine } from '../../../commands/handlers/task-handlers.js';
import { TaskProgress } from '../../task-progress.js';
import { CoalescedUpdater } from './coalesced-updater.js';
import { taskMessage } from './task-message-blocks.js';
import { codeBlock, safeMrkdwn } from '../blocks/mrkdwn.js';
import { linkRef } from '../../../core/mention.js';
import type { TaskMessages } from './task-messages.js';

export type { TaskMessages } from './task-messages.js';

interface TaskState {
  progress: TaskProgress;
  channel: string | null;
  ts: string | null;
  /** Slack work for this task runs in order (post before update, thread replies in sequence). */
  chain: Promise<void>;
  updater: CoalescedUpdater;
  snapshots: Set<'start' | 'failure' | 'end'>;
  /** Kept so a message posted after the task ended can still tell its result. */
  finished?: Extract<PipelineEvent, { type: 'task.finished' }>;
}

export interface TaskMessagesDeps {
  runtime: Runtime;
  client: webApi.WebClient;
  log: Logger;
  /** Minimum time between two chat.update calls of one message. */
  updateIntervalMs?: number;
}

export function createTaskMessages(deps: TaskMessagesDeps): TaskMessages {
  return new SlackTaskMessages(deps);
}

/**
 * Keeps one Slack message per task in step with the task: posted where the deploy was requested,
 * updated (coalesced) as stages progress, with a thread for decisions, failures, flow snapshots
 * and the result, and a one-line notification to the project's channel when it ends.
 */
class SlackTaskMessages implements TaskMessages {
  private readonly states = new Map<number, TaskState>();
  private unsubscribe: (() => void) | null = null;
  private readonly notified = new Set<number>();

  constructor(private readonly deps: TaskMessagesDeps) {}

  start(): void {
    this.unsubscribe ??= this.deps.runtime.events.on((event) => this.onEvent(event));
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    await Promise.allSettled([...this.states.values()].map(async (s) => {
      await s.chain;
      await s.updater.flush();
    }));
  }

  publish(taskId: number, channel?: string): Promise<void> {
    const state = this.state(taskId, channel);
    return this.enqueue(state, async () => {
      await this.refreshFromDatabase(state);
      if (!state.ts) await this.post(state);
      else state.updater.request();
    });
  }

  thread(taskId: number, text: string): Promise<void> {
    const state = this.state(taskId);
    return this.enqueue(state, () => this.reply(state, text));
  }

  private state(taskId: number, channel?: string): TaskState {
    let state = this.states.get(taskId);
    if (!state) {
      const created: TaskState = {
        progress: undefined as unknown as TaskProgress,
        channel: channel ?? null,
        ts: null,
        chain: Promise.resolve(),
        snapshots: new Set(),
        updater: new CoalescedUpdater(() => this.update(created), (err) => this.deps.log.warn('task message update failed', { taskId, error: String(err) }), this.deps.updateIntervalMs ?? 1000),
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
    state.chain = next.catch((err) => this.deps.log.warn('task message work failed', { taskId: state.progress?.task.id, error: String(err) }));
    return next;
  }

  private async load(state: TaskState, taskId: number): Promise<void> {
    const { task, hosts } = await this.deps.runtime.app.withServices((s) => s.tasks.details(taskId));
    state.progress = TaskProgress.fromRecords(task, hosts);
    state.channel ??= task.slack?.channel ?? null;
    state.ts = task.slack?.ts ?? null;
  }

  /** Decisions (approve, reject, cancel) change the task in the database, not through events. */
  private async refreshFromDatabase(state: TaskState): Promise<void> {
    const task = await this.deps.runtime.app.withServices((s) => s.tasks.show(state.progress.task.id));
    const live = state.progress.task;
    // Keep what the live events know better (status while running), take the decisions.
    state.progress.task = { ...task, status: live.status === 'running' && task.status === 'running' ? live.status : task.status };
    const runtime = this.deps.runtime;
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

  private async post(state: TaskState): Promise<void> {
    if (!state.channel) return; // a task requested outside Slack has no message
    const message = taskMessage(state.progress, { timeZone: this.deps.runtime.app.config.timezone });
    const result = await this.deps.client.chat.postMessage({ channel: state.channel, text: message.text, blocks: message.blocks as never, unfurl_links: false });
    state.ts = result.ts ?? null;
    if (result.channel) state.channel = result.channel;
    if (!state.ts) return;
    await this.deps.runtime.app.withServices((s) => s.tasks.attachMessage(state.progress.task.id, state.channel!, state.ts!));
    // The task may have started (or even ended) before its message existed: catch the thread up.
    if (state.progress.task.startedAt) await this.uploadSnapshot(state, 'start');
    for (const host of state.progress.failedHosts()) {
      await this.reply(state, `✗ ${host.name} failed at ${host.failedStage}${host.exitCode != null ? ` (exit code ${host.exitCode})` : ''}: ${host.error ?? 'failed'}`);
    }
    if (state.finished) {
      await this.reply(state, resultText(state.progress, state.finished));
      await this.uploadSnapshot(state, 'end');
    }
  }

  private async update(state: TaskState): Promise<void> {
    if (!state.channel || !state.ts) return;
    const message = taskMessage(state.progress, { timeZone: this.deps.runtime.app.config.timezone });
    await this.deps.client.chat.update({ channel: state.channel, ts: state.ts, text: message.text, blocks: message.blocks as never });
  }

  private async reply(state: TaskState, text: string, blocks?: unknown[]): Promise<void> {
    if (!state.channel || !state.ts) return;
    await this.deps.client.chat.postMessage({ channel: state.channel, thread_ts: state.ts, text, ...(blocks ? { blocks: blocks as never } : {}), unfurl_links: false });
  }

  private async uploadSnapshot(state: TaskState, moment: 'start' | 'failure' | 'end'): Promise<void> {
    if (!state.channel || !state.ts || state.snapshots.has(moment)) return;
    state.snapshots.add(moment);
    const t = state.progress.task;
    const png = renderFlowPng(state.progress.snapshot());
    await this.deps.client.filesUploadV2({
      channel_id: state.channel,
      thread_ts: state.ts,
      file: png,
      filename: `${t.kind}-${t.id}-${moment}.png`,
      title: `${t.kind === 'rollback' ? 'Rollback' : 'Deploy'} #${t.id} flow (${moment === 'start' ? 'started' : moment === 'failure' ? 'failure' : STATUS_WORDS[t.status]})`,
    });
  }

  private onEvent(event: PipelineEvent): void {
    const state = this.state(event.taskId);
    void this.enqueue(state, async () => {
      const changed = state.progress.apply(event);
      if (event.type === 'task.finished') state.finished = event;
      if (!state.ts) return; // no message (not a Slack task), or not posted yet: publish() will show it all
      if (event.type === 'task.started') await this.uploadSnapshot(state, 'start');
      if (event.type === 'host.stage.finished' && event.state === 'failed') {
        await this.reply(state, failureText(event), failureBlocks(event));
        await this.uploadSnapshot(state, 'failure');
      }
      if (event.type === 'task.finished') {
        state.updater.request();
        await state.updater.flush();
        await this.reply(state, resultText(state.progress, event));
        await this.uploadSnapshot(state, 'end');
        await this.notify(state, event);
        return;
      }
      if (changed) state.updater.request();
    });
    if (event.type === 'task.finished' && !state.ts) void this.enqueue(state, () => this.notify(state, event));
  }

  /** One line to the project's channel (or DEPLOYBOT_NOTIFY_CHANNEL) when a task ends. */
  private async notify(state: TaskState, event: Extract<PipelineEvent, { type: 'task.finished' }>): Promise<void> {
    if (this.notified.has(event.taskId)) return;
    this.notified.add(event.taskId);
    const project = await this.deps.runtime.app.withServices((s) => s.projects.show(state.progress.task.project)).catch(() => null);
    const channel = project?.notifyChannel ?? this.deps.runtime.app.config.notifyChannel;
    if (!channel) return;
    let link = '';
    if (state.channel && state.ts) {
      const permalink = await this.deps.client.chat.getPermalink({ channel: state.channel, message_ts: state.ts }).catch(() => null);
      if (permalink?.permalink) link = ` ${linkRef(permalink.permalink, 'details')}`;
    }
    const emoji = event.status === 'success' ? ':large_green_circle:' : event.status === 'failed' ? ':red_circle:' : ':no_entry_sign:';
    await this.deps.client.chat.postMessage({ channel, text: safeMrkdwn(`${emoji} ${taskLine(state.progress.task)} in ${formatDuration(event.durationMs)}${event.error ? ` — ${event.error.slice(0, 300)}` : ''}${link}`), unfurl_links: false });
  }
}

function failureText(event: Extract<PipelineEvent, { type: 'host.stage.finished' }>): string {
  return safeMrkdwn(`✗ ${event.host} failed at ${event.stage}${event.exitCode != null ? ` (exit code ${event.exitCode})` : ''}: ${event.error ?? 'failed'}`);
}

function failureBlocks(event: Extract<PipelineEvent, { type: 'host.stage.finished' }>): unknown[] {
  const blocks: unknown[] = [{ type: 'section', text: { type: 'mrkdwn', text: safeMrkdwn(`:x: *${event.host}* failed at *${event.stage}*${event.exitCode != null ? ` (exit code ${event.exitCode})` : ''}: ${(event.error ?? 'failed').slice(0, 700)}`) } }];
  const output = event.outputTail?.trim();
  // Hook output is the repository's text: escaped, and its backticks cannot end the code block.
  if (output) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: codeBlock(output.slice(-1400)) } });
  return blocks;
}

function resultText(p: TaskProgress, event: Extract<PipelineEvent, { type: 'task.finished' }>): string {
  const t = p.task;
  const head = `${t.kind === 'rollback' ? 'Rollback' : 'Deploy'} #${t.id} ${STATUS_WORDS[t.status]} in ${formatDuration(event.durationMs)}`;
  if (event.status === 'success') return safeMrkdwn(`:large_green_circle: ${head}: ${event.hosts.length} server${event.hosts.length > 1 ? 's' : ''} now serve \`${event.releaseId ?? '?'}\`.`);
  const where = event.hosts.map((h) => `${h.name} → ${h.release ?? 'nothing'}${h.failed ? ' (failed)' : ''}`).join(', ');
  return safeMrkdwn(`${event.status === 'failed' ? ':red_circle:' : ':no_entry_sign:'} ${head}${event.error ? `: ${event.error}` : ''}${where ? `\nWhere each server stands: ${where}` : ''}${t.requestedBy ? `\ncc ${mention(t.requestedBy)}` : ''}`);
}
