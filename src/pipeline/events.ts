import { EventEmitter } from 'node:events';
import type { HostStage, StageState, TaskStage } from './stages.js';

/**
 * What the runner tells the world. Presenters (Slack thread message, flow snapshot, shell output)
 * subscribe; the pipeline never knows who listens.
 */
export type PipelineEvent =
  | { type: 'task.started'; taskId: number; kind: 'deploy' | 'rollback'; project: string; ref: string; releaseId: string | null; hosts: string[]; at: Date }
  | { type: 'stage.started'; taskId: number; stage: TaskStage; at: Date }
  | { type: 'stage.finished'; taskId: number; stage: TaskStage; state: Exclude<StageState, 'waiting' | 'running'>; durationMs: number; error?: string; at: Date }
  | { type: 'commit.resolved'; taskId: number; ref: string; commit: string; at: Date }
  | { type: 'host.stage.started'; taskId: number; host: string; stage: HostStage; at: Date }
  | {
      type: 'host.stage.finished';
      taskId: number;
      host: string;
      stage: HostStage;
      state: Exclude<StageState, 'waiting' | 'running'>;
      durationMs: number;
      exitCode?: number | null;
      error?: string;
      /** Last lines of output (redacted), for failure reports. */
      outputTail?: string;
      at: Date;
    }
  | { type: 'host.key.pinned'; taskId: number; host: string; fingerprint: string; at: Date }
  /**
   * The fleet-wide switch is over: `servers` of `of` now serve `release`; skewMs is the time from
   * the first server switched to the last (the window in which the fleet served two releases).
   */
  | { type: 'fleet.switched'; taskId: number; release: string | null; servers: number; of: number; skewMs: number; durationMs: number; at: Date }
  | { type: 'host.rolled_back'; taskId: number; host: string; release: string | null; at: Date }
  /** Canary first: these servers go live first and run alone for waitMs before the rest follows. */
  | { type: 'canary.started'; taskId: number; hosts: string[]; waitMs: number; /** The rest also waits for a person's Promote (prod). */ needsPromotion?: boolean; at: Date }
  /**
   * Canary first on a project that needs a Promote (prod): the canary switched, ran after_deploy and
   * passed its health check; the rest waits until an approver promotes it, and at least minWaitMs.
   */
  | { type: 'canary.awaiting_promotion'; taskId: number; hosts: string[]; minWaitMs: number; at: Date }
  /** Someone promoted the canary (reason: an admin's, for their own deploy); the rest follows in restInMs. */
  | { type: 'canary.promoted'; taskId: number; hosts: string[]; by: string; reason: string | null; restInMs: number; at: Date }
  /** The canary ran alone long enough (and was promoted, where that is needed): the rest follows now. */
  | { type: 'canary.passed'; taskId: number; hosts: string[]; at: Date }
  | { type: 'output'; taskId: number; host: string | null; stage: TaskStage | HostStage; stream: 'stdout' | 'stderr'; line: string; at: Date }
  | {
      type: 'progress';
      taskId: number;
      host: string;
      bytes: number;
      totalBytes: number;
      /** Recent receive rate (distribution), when known. */
      bytesPerSec?: number;
      at: Date;
    }
  /** Which distribution the upload stage uses (after `auto` and the servers' checks). */
  | { type: 'distribution.started'; taskId: number; strategy: 'direct' | 'relay'; at: Date }
  /** Where a server gets (or, at its last such event, got) its copy from: `bot` or a server's name. */
  | { type: 'host.source'; taskId: number; host: string; source: string; offset: number; at: Date }
  | { type: 'distribution.note'; taskId: number; host: string | null; message: string; at: Date }
  | {
      type: 'task.finished';
      taskId: number;
      /** `interrupted`: the bot stopped while the task ran (emitted by crash recovery at the next boot). */
      status: 'success' | 'failed' | 'cancelled' | 'interrupted';
      releaseId: string | null;
      commit: string | null;
      durationMs: number;
      error?: string;
      /** Per host: where `current` points now (null: nothing known or unreadable), and whether the host failed. */
      hosts: { name: string; release: string | null; failed: boolean }[];
      /** First to last server switched in the fleet-wide switch, when one happened. */
      switchSkewMs?: number;
      /** What recovery did to bring a fleet left on different releases back to one. */
      repaired?: string;
      at: Date;
    };

export type PipelineEventType = PipelineEvent['type'];
export type PipelineListener = (event: PipelineEvent) => void;

/** How many finished tasks the bus remembers for late waiters (a few hours of a busy bot). */
const REMEMBERED_FINISHES = 500;

/** A typed event bus. A listener that throws is reported, never allowed to break a deploy. */
export class PipelineEvents {
  private readonly emitter = new EventEmitter();
  /**
   * The last tasks' final events: a waiter that subscribes after the task ended (it finished
   * while the waiter was still reading its Slack message, say) gets the outcome instead of
   * waiting forever.
   */
  private readonly finished = new Map<number, Extract<PipelineEvent, { type: 'task.finished' }>>();

  constructor(private readonly onListenerError: (err: unknown, event: PipelineEvent) => void = () => {}) {
    this.emitter.setMaxListeners(100);
  }

  on(listener: PipelineListener): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  /** Listens to one task only, e.g. a shell waiting for its deploy. */
  onTask(taskId: number, listener: PipelineListener): () => void {
    return this.on((event) => {
      if (event.taskId === taskId) listener(event);
    });
  }

  emit(event: PipelineEvent): void {
    if (event.type === 'task.finished') this.remember(event);
    for (const listener of this.emitter.listeners('event') as PipelineListener[]) {
      try {
        listener(event);
      } catch (err) {
        this.onListenerError(err, event);
      }
    }
  }

  /** Resolves with the task's final event, at once when it has already been emitted. */
  waitForFinish(taskId: number): Promise<Extract<PipelineEvent, { type: 'task.finished' }>> {
    const known = this.finished.get(taskId);
    if (known) return Promise.resolve(known);
    return new Promise((resolve) => {
      const off = this.onTask(taskId, (event) => {
        if (event.type === 'task.finished') {
          off();
          resolve(event);
        }
      });
    });
  }

  private remember(event: Extract<PipelineEvent, { type: 'task.finished' }>): void {
    this.finished.delete(event.taskId);
    this.finished.set(event.taskId, event);
    if (this.finished.size > REMEMBERED_FINISHES) this.finished.delete(this.finished.keys().next().value!);
  }
}
