import type { HookScripts } from '../store/hook-scripts.js';
import type { SshTarget } from './ssh/ssh.js';

/**
 * Everything the runner needs, prepared by the core (which decrypts credentials and checks the
 * rules): the pipeline never reads business rules or secrets from the database itself.
 */
export interface PlannedHost {
  serverId: number;
  /** Holds decrypted credentials: never log it. */
  target: SshTarget;
  /** How the other servers reach this one (`host` or `host:port`); null: as the bot does. */
  internalAddress?: string | null;
}

/** Who promoted a canary, as recorded in the database by whichever process took the click. */
export interface Promotion {
  by: string;
  at: Date;
  /** An admin's reason (promoting their own deploy); null for an approver's Promote. */
  reason: string | null;
}

/**
 * The core's answer to "may the rest follow?" for a deploy that needs a person's Promote after its
 * canary passed (a prod project): the runner asks it, and the core looks in the database.
 */
export interface PromotionGate {
  /** Resolves once someone promoted the task, in any process; rejects with the signal's reason when it aborts. */
  wait(signal: AbortSignal): Promise<Promotion>;
}

export interface DeployPlan {
  taskId: number;
  kind: 'deploy' | 'rollback';
  project: {
    id: number;
    name: string;
    repoUrl: string;
    environment: string;
    deployPath: string;
    keepReleases: number;
    maxParallel: number;
    onFailure: 'rollback' | 'continue';
    /** How the package reaches the servers (see src/pipeline/distribution). Default auto. */
    distribution?: 'auto' | 'direct' | 'relay';
    /** Run on each server after after_deploy until it exits 0, for at most timeoutMs; none when absent. */
    health?: { command: string; timeoutMs: number } | null;
    /** Canary first: how many servers go live first, and how long they run alone; none: all at once. */
    canary?: { count: number; percent: boolean; waitMs: number } | null;
  };
  /**
   * Canary first on a project that needs a person's go-ahead (prod): after the canary passed, the
   * rest waits for this (and for at least `canary.waitMs`). None: the canary's wait is timed only.
   */
  promotion?: PromotionGate | null;
  ref: string;
  /** The commit pinned at request time (what the approver saw); null: resolve `ref` when running. */
  commit: string | null;
  /** Rollback to this release id; null means "the one before current". */
  targetRelease: string | null;
  /** For a rollback: what every server served when it was requested (the target is relative to it). */
  fromRelease: string | null;
  requestedBy: string;
  hooks: HookScripts;
  hosts: PlannedHost[];
}
