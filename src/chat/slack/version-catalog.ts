import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { GitMirrors } from '../../pipeline/git/git.js';
import type { VersionNote, VersionRefs } from './blocks/version-options.js';
import { withinBudget } from './guard.js';

/**
 * What the version picker offers, per repository: a cache over the git mirror.
 *
 * Slack gives an options load 3 seconds, and a clone or fetch can take longer, so fetching always
 * happens in the background: a lookup answers from the cache (refreshing it when older than the
 * TTL), or, the first time, lists the mirror already on disk (a local read), or says the
 * repository is being fetched. `prefetch` starts the fetch early, when a project is picked.
 */
interface Entry {
  refs: VersionRefs | null;
  loadedAt: number;
  error: string | null;
  refreshing: Promise<void> | null;
  /** Resolves the first time refs are known (or the first refresh ends). */
  ready: Promise<void>;
  markReady: () => void;
}

export interface VersionCatalogOptions {
  /** How long listed refs are used before a background refresh (default 60 s). */
  ttlMs?: number;
  /** After a failed fetch, how long before trying again (default 15 s). */
  retryMs?: number;
  commitLimit?: number;
}

export class VersionCatalog {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly retryMs: number;
  private readonly commitLimit: number;

  constructor(
    private readonly git: GitMirrors,
    private readonly log: Logger,
    options: VersionCatalogOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.retryMs = options.retryMs ?? 15_000;
    this.commitLimit = options.commitLimit ?? 30;
  }

  /** Starts a background refresh if what is known of the repository is missing or stale. */
  prefetch(repoUrl: string): void {
    this.refreshIfStale(this.entry(repoUrl), repoUrl);
  }

  /** The refs to offer now, waiting at most `budgetMs` when nothing is known yet. */
  async lookup(repoUrl: string, budgetMs: number): Promise<{ refs: VersionRefs | null; note?: VersionNote }> {
    const entry = this.entry(repoUrl);
    this.refreshIfStale(entry, repoUrl);
    if (entry.refs === null) await withinBudget(entry.ready, budgetMs);
    if (entry.refs !== null) return { refs: entry.refs };
    if (entry.error !== null) return { refs: null, note: { kind: 'error', message: entry.error } };
    return { refs: null, note: { kind: 'loading' } };
  }

  /** Resolves when no refresh is running (shutdown, tests). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.entries.values()].map((e) => e.refreshing));
  }

  private entry(repoUrl: string): Entry {
    let entry = this.entries.get(repoUrl);
    if (!entry) {
      let markReady = () => {};
      const ready = new Promise<void>((resolve) => (markReady = resolve));
      entry = { refs: null, loadedAt: 0, error: null, refreshing: null, ready, markReady };
      this.entries.set(repoUrl, entry);
    }
    return entry;
  }

  private refreshIfStale(entry: Entry, repoUrl: string): void {
    if (entry.refreshing) return;
    const age = Date.now() - entry.loadedAt;
    if (entry.loadedAt > 0 && age < (entry.error !== null && entry.refs === null ? this.retryMs : this.ttlMs)) return;
    entry.refreshing = this.refresh(entry, repoUrl).finally(() => {
      entry.refreshing = null;
      entry.markReady();
    });
  }

  private async refresh(entry: Entry, repoUrl: string): Promise<void> {
    // A mirror already on disk answers at once; the fetch that follows brings it up to date.
    if (entry.refs === null && existsSync(join(this.git.mirrorPath(repoUrl), 'HEAD'))) {
      try {
        this.store(entry, await this.list(repoUrl));
      } catch (err) {
        this.log.debug('listing the existing mirror failed', { error: errorMessage(err) });
      }
    }
    try {
      await this.git.ensureMirror(repoUrl);
      this.store(entry, await this.list(repoUrl));
    } catch (err) {
      entry.error = errorMessage(err);
      entry.loadedAt = Date.now();
      this.log.warn('version picker: cannot fetch the repository', { error: entry.error });
    }
  }

  private store(entry: Entry, refs: VersionRefs): void {
    entry.refs = refs;
    entry.error = null;
    entry.loadedAt = Date.now();
    entry.markReady();
  }

  private async list(repoUrl: string): Promise<VersionRefs> {
    const [branches, tags, commits] = await Promise.all([
      this.git.listBranches(repoUrl),
      this.git.listTags(repoUrl),
      this.git.listCommits(repoUrl, { limit: this.commitLimit }),
    ]);
    return { branches, tags, commits };
  }
}
