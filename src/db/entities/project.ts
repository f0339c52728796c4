import { Collection, EntitySchema, type OptionalProps } from '@mikro-orm/core';
import type { Server } from './server.js';

export type Environment = 'test' | 'prod';
export type FailurePolicy = 'rollback' | 'continue';
/** How the package reaches the servers: the bot to each (`direct`), servers feeding each other (`relay`), or chosen per deploy (`auto`). */
export type DistributionSetting = 'auto' | 'direct' | 'relay';
/** How people hear about a deploy: a mention in the task message/thread, a direct message as well, or nothing. */
export type NoticeMode = 'mention' | 'dm' | 'none';

/** What to deploy (a git repository), where (servers + absolute path), and under which rules. */
export class Project {
  /** Properties with defaults: optional when creating. */
  declare [OptionalProps]?: 'environment' | 'defaultBranch' | 'keepReleases' | 'approvers' | 'maxParallel' | 'requiredApprovals' | 'healthCheck' | 'healthTimeout' | 'rollout' | 'canaryWait' | 'onFailure' | 'distribution' | 'notifyApprovers' | 'notifyRequester' | 'hookBeforeDownload' | 'hookAfterDownload' | 'hookBeforeDeploy' | 'hookAfterDeploy' | 'createdAt' | 'updatedAt';
  id!: number;
  name!: string;
  title!: string;
  /** As shown: credentials masked (`https://user:***@host/…`); the real URL is in repoUrlEnc. */
  repoUrl!: string;
  /** Encrypted full URL when it carries credentials (SecretBox), else null. */
  repoUrlEnc?: string | null;
  environment: Environment = 'test';
  deployPath!: string;
  servers = new Collection<Server>(this);
  defaultBranch: string = 'main';
  keepReleases: number = 5;
  approvers: string[] = [];
  notifyChannel?: string | null;
  maxParallel: number = 10;
  /** Distinct approvers (never the requester) a prod deploy needs: N of the M approvers. */
  requiredApprovals: number = 1;
  /** The test project a commit must have succeeded on before this one deploys it. */
  promoteFrom?: string | null;
  /** Run on each server after after_deploy, retried until it exits 0 or healthTimeout passes ('' = none). */
  healthCheck: string = '';
  /** Seconds the whole health check may take on one server. */
  healthTimeout: number = 30;
  /** `all` (every server at once, after the barrier) or `canary:<n|p%>` (a first batch, then the rest). */
  rollout: string = 'all';
  /** Seconds the canary runs alone, healthy, before the rest follows. */
  canaryWait: number = 60;
  onFailure: FailurePolicy = 'rollback';
  distribution: DistributionSetting = 'auto';
  /** Approvers of a request: mentioned in its message and sent a DM (`dm`), only mentioned, or neither. */
  notifyApprovers: NoticeMode = 'dm';
  /** The requester, when the deploy is approved, rejected, succeeds, fails or is interrupted. */
  notifyRequester: NoticeMode = 'mention';
  hookBeforeDownload: string = '';
  hookAfterDownload: string = '';
  hookBeforeDeploy: string = '';
  hookAfterDeploy: string = '';
  /** A person's freeze: while set, deploy requests are refused with who and why. */
  lockedBy?: string | null;
  lockReason?: string | null;
  lockedAt?: Date | null;
  createdBy!: string;
  createdAt: Date = new Date();
  updatedAt: Date = new Date();
}

export const ProjectSchema = new EntitySchema<Project>({
  class: Project,
  tableName: 'projects',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    name: { type: 'string', length: 63, unique: true },
    title: { type: 'string', length: 200 },
    repoUrl: { type: 'text' },
    repoUrlEnc: { type: 'text', nullable: true, lazy: true },
    environment: { type: 'string', length: 8, default: 'test' },
    deployPath: { type: 'text' },
    servers: { kind: 'm:n', entity: 'Server', inversedBy: 'projects', pivotTable: 'project_servers', owner: true },
    defaultBranch: { type: 'string', length: 255, default: 'main' },
    keepReleases: { type: 'integer', default: 5 },
    approvers: { type: 'json' },
    notifyChannel: { type: 'string', length: 32, nullable: true },
    maxParallel: { type: 'integer', default: 10 },
    requiredApprovals: { type: 'integer', default: 1 },
    promoteFrom: { type: 'string', length: 63, nullable: true },
    healthCheck: { type: 'text', default: '' },
    healthTimeout: { type: 'integer', default: 30 },
    rollout: { type: 'text', default: 'all' },
    canaryWait: { type: 'integer', default: 60 },
    onFailure: { type: 'string', length: 16, default: 'rollback' },
    distribution: { type: 'string', length: 16, default: 'auto' },
    notifyApprovers: { type: 'string', length: 8, default: 'dm' },
    notifyRequester: { type: 'string', length: 8, default: 'mention' },
    hookBeforeDownload: { type: 'text', default: '' },
    hookAfterDownload: { type: 'text', default: '' },
    hookBeforeDeploy: { type: 'text', default: '' },
    hookAfterDeploy: { type: 'text', default: '' },
    lockedBy: { type: 'string', length: 64, nullable: true },
    lockReason: { type: 'text', nullable: true },
    lockedAt: { type: 'datetime', nullable: true },
    createdBy: { type: 'string', length: 64 },
    createdAt: { type: 'datetime', onCreate: () => new Date() },
    updatedAt: { type: 'datetime', onCreate: () => new Date(), onUpdate: () => new Date() },
  },
});
