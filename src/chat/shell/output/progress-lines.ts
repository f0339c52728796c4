import type { PipelineEvent } from '../../../pipeline/events.js';
import type { HostStage } from '../../../pipeline/stages.js';
import { formatDuration, shortSha } from '../../../commands/replies/formatting.js';
import { copyFacts, copySummary } from '../../copy-facts.js';
import type { TaskProgress } from '../../task-progress.js';
import { makeStyle, SYMBOLS, type Style } from './style.js';

export interface ProgressLineOptions {
  style?: Style;
  /** Up to this many servers, every server's stages get a line; beyond, one summary line per stage. */
  detailLimit?: number;
  /** Least time between two summary lines of the same stage (ms); the line that completes a stage always shows. */
  summaryEveryMs?: number;
  /** Last lines of output shown under a failure. */
  tailLines?: number;
}

/**
 * Turns one task's pipeline events into the shell's progress lines:
 *
 *     [#12] deploy api v1.2.0 started on web-1, web-2
 *     [#12] download ✓ 1.2s (3f2a9c1)
 *     [#12]   web-1  upload ✓ 0.4s
 *     [#12] upload 14/20 ✓, 1 ✗            (more than `detailLimit` servers)
 *     [#12]   web-2  before_deploy ✗ 0.2s (exit 3): …
 *             │ last lines of output
 *
 * Call `lines(event, progress)` after `progress.apply(event)`. Skipped stages (hooks not set) say
 * nothing. Only the clock is impure (`now`, for throttling summaries).
 */
export class ProgressLines {
  private readonly style: Style;
  private readonly detailLimit: number;
  private readonly summaryEveryMs: number;
  private readonly tailLines: number;
  private readonly lastSummary = new Map<HostStage, { at: number; text: string }>();

  constructor(
    readonly taskId: number,
    options: ProgressLineOptions = {},
    private readonly now: () => number = Date.now,
  ) {
    this.style = options.style ?? makeStyle(false);
    this.detailLimit = options.detailLimit ?? 5;
    this.summaryEveryMs = options.summaryEveryMs ?? 1000;
    this.tailLines = options.tailLines ?? 10;
  }

  get prefix(): string {
    return this.style.dim(`[#${this.taskId}]`);
  }

  lines(event: PipelineEvent, progress: TaskProgress): string[] {
    const s = this.style;
    const p = this.prefix;
    switch (event.type) {
      case 'task.started': {
        const what = event.kind === 'rollback' ? `rollback ${event.project}${event.releaseId ? ` → ${event.releaseId}` : ''}` : `deploy ${event.project} ${event.ref}`;
        const where = event.hosts.length === 0 ? '' : event.hosts.length <= this.detailLimit ? ` on ${event.hosts.join(', ')}` : ` on ${event.hosts.length} servers`;
        return [`${p} ${s.bold(what)} started${where}`];
      }
      case 'stage.finished': {
        if (event.state === 'skipped') return [];
        const commit = event.stage === 'download' && progress.task.commit ? ` (${shortSha(progress.task.commit)})` : '';
        if (event.state === 'failed') return [`${p} ${event.stage} ${s.bad(SYMBOLS.fail)} ${this.took(event.durationMs)}${event.error ? `: ${event.error}` : ''}`];
        return [`${p} ${event.stage} ${s.ok(SYMBOLS.ok)} ${this.took(event.durationMs)}${commit}`];
      }
      case 'host.stage.finished': {
        const detailed = progress.hosts.size <= this.detailLimit;
        if (event.state === 'failed') {
          const exit = event.exitCode !== undefined && event.exitCode !== null ? ` (exit ${event.exitCode})` : '';
          // "(exit 3): exited with code 3" says it twice; a server never reached did not fail to upload.
          const error = exit && event.error === `exited with code ${event.exitCode}` ? undefined : event.error;
          const connect = /^connect: /.test(event.error ?? '');
          const stage = connect ? 'connect' : event.stage;
          const shown = connect ? event.error!.replace(/^connect: /, '') : error;
          const head = `${p}   ${this.host(event.host, progress)}  ${stage} ${s.bad(SYMBOLS.fail)} ${this.took(event.durationMs)}${exit}${shown ? `: ${shown}` : ''}`;
          return [head, ...this.tail(event.outputTail), ...(detailed ? [] : this.withCopies(event.stage, progress, this.summary(event.stage, progress, true)))];
        }
        if (detailed) return event.state === 'skipped' ? [] : [`${p}   ${this.host(event.host, progress)}  ${event.stage} ${s.ok(SYMBOLS.ok)} ${this.took(event.durationMs)}${event.stage === 'upload' ? copyFacts(progress.hosts.get(event.host)) : ''}`];
        return this.withCopies(event.stage, progress, this.summary(event.stage, progress, false));
      }
      case 'distribution.started':
        return event.strategy === 'relay' ? [`${p} upload: relay (the bot sends one copy, the servers feed each other)`] : [];
      case 'distribution.note':
        return progress.hosts.size <= this.detailLimit ? [`${p}   ${event.host ? `${this.host(event.host, progress)}  ` : ''}${event.message}`] : [];
      case 'canary.started': {
        const first = event.hosts.map((h) => this.host(h, progress).trim()).join(', ');
        const wait = Math.round(event.waitMs / 1000);
        if (event.needsPromotion) return [`${p} canary: ${first} first; the rest waits for an approver's Promote${wait ? ` (and at least ${wait} s)` : ''}`];
        return [`${p} canary: ${first} first, then ${wait} s alone before the rest`];
      }
      case 'canary.awaiting_promotion':
        return [`${p} ${s.warn(`canary healthy on ${event.hosts.join(', ')}; waiting for an approver to Promote`)} (\`promote ${event.taskId}\`, or \`cancel ${event.taskId}\` to switch it back)`];
      case 'canary.promoted':
        return [`${p} canary promoted by ${event.by}${event.reason ? ` (${event.reason})` : ''}${event.restInMs > 1000 ? `; the rest follows in ${Math.ceil(event.restInMs / 1000)} s (canary_wait)` : ''}`];
      case 'canary.passed':
        return [`${p} ${progress.task.promotedBy ? 'the rest follows' : 'canary healthy: the rest follows'}`];
      case 'host.rolled_back':
        return [`${p}   ${this.host(event.host, progress)}  switched back${event.release ? ` to ${event.release}` : ''}`];
      case 'host.key.pinned':
        return progress.hosts.size <= this.detailLimit ? [`${p}   ${this.host(event.host, progress)}  host key pinned: ${event.fingerprint}`] : [];
      default:
        // task.finished: see result(), printed once the task's row has filled in who and what.
        return [];
    }
  }

  /** The closing line: `[#12] ✓ deploy #12 of api v1.2.0 succeeded in 3.4s: <release> is live on 2 servers`. */
  result(event: Extract<PipelineEvent, { type: 'task.finished' }>, progress: TaskProgress): string {
    const s = this.style;
    const t = progress.task;
    const what = t.kind === 'rollback' ? `rollback #${t.id} of ${t.project}` : `deploy #${t.id} of ${t.project} ${t.ref}`;
    const took = formatDuration(event.durationMs);
    if (event.status === 'success') {
      const live = event.hosts.filter((h) => !h.failed).length;
      const release = event.releaseId ?? [...new Set(event.hosts.map((h) => h.release).filter(Boolean))].join(', ');
      return `${this.prefix} ${s.ok(`${SYMBOLS.ok} ${what} succeeded`)} in ${took}${release ? `: ${release} is live` : ''}${live ? ` on ${live} server${live === 1 ? '' : 's'}` : ''}`;
    }
    if (event.status === 'interrupted') return `${this.prefix} ${s.bad(`${SYMBOLS.fail} ${what} was interrupted`)}${event.error ? `: ${event.error}` : ''}`;
    if (event.status === 'cancelled') return `${this.prefix} ${s.warn(`⊘ ${what} was cancelled`)} after ${took}${event.error ? `: ${event.error}` : ''}`;
    return `${this.prefix} ${s.bad(`${SYMBOLS.fail} ${what} failed`)} after ${took}${event.error ? `: ${event.error}` : ''}`;
  }

  /** `upload 14/20 ✓, 1 ✗`: when the stage completes on every server, or at most once per interval. */
  private summary(stage: HostStage, progress: TaskProgress, force: boolean): string[] {
    const c = progress.stageCounts(stage);
    let settled = 0;
    for (const host of progress.hosts.values()) if (!['waiting', 'running'].includes(host.stages[stage].state)) settled++;
    const complete = settled === c.total;
    if (complete && c.done === 0 && c.failed === 0) return []; // a hook nobody has: nothing to say
    const text = `${stage} ${c.done}/${c.total} ${this.style.ok(SYMBOLS.ok)}${c.failed ? `, ${c.failed} ${this.style.bad(SYMBOLS.fail)}` : ''}`;
    const last = this.lastSummary.get(stage);
    const now = this.now();
    if (last?.text === text) return [];
    if (!complete && !force && last && now - last.at < this.summaryEveryMs) return [];
    if (!complete && !force && !last && c.done + c.failed < 1) return [];
    this.lastSummary.set(stage, { at: now, text });
    return [`${this.prefix} ${text}`];
  }

  /**
   * Under the summary line that completes the upload of a big fleet: where the copies came from,
   * in a few lines (a small fleet told it per server already).
   */
  private withCopies(stage: HostStage, progress: TaskProgress, summary: string[]): string[] {
    if (stage !== 'upload' || !summary.length) return summary;
    if ([...progress.hosts.values()].some((h) => ['waiting', 'running'].includes(h.stages.upload.state))) return summary;
    return [...summary, ...copySummary([...progress.hosts.values()], { detailLimit: 0 }).map((l) => `${this.prefix}   ${l}`)];
  }

  private took(ms: number): string {
    return this.style.dim(formatDuration(ms));
  }

  /** Padded to the longest name when every server gets lines (so the stages line up), else as is. */
  private host(name: string, progress: TaskProgress): string {
    if (progress.hosts.size > this.detailLimit) return name;
    const width = Math.max(...[...progress.hosts.keys()].map((h) => h.length), name.length);
    return name.padEnd(width);
  }

  private tail(output: string | undefined): string[] {
    if (!output) return [];
    const lines = output.replace(/\s+$/, '').split('\n');
    return lines.slice(-this.tailLines).map((l) => `        ${this.style.dim('│')} ${l}`);
  }
}
