import { z } from 'zod';
import { absolutePathSchema, channelIdSchema, gitUrlSchema, hookScriptSchema, refNameProblem, slugSchema, userIdSchema } from '../validation.js';

const branchSchema = z
  .string()
  .trim()
  .superRefine((b, ctx) => {
    const problem = refNameProblem(b);
    if (problem) ctx.addIssue({ code: 'custom', message: `default branch: ${problem}` });
  });

const countSchema = (what: string, min: number, max: number) =>
  z.coerce
    .number({ message: `${what} must be a number` })
    .int(`${what} must be a whole number`)
    .min(min, `${what} must be between ${min} and ${max}`)
    .max(max, `${what} must be between ${min} and ${max}`);

export const hooksSchema = z
  .object({
    before_download: hookScriptSchema,
    after_download: hookScriptSchema,
    before_deploy: hookScriptSchema,
    after_deploy: hookScriptSchema,
  })
  .strict();
export type HooksInput = z.input<typeof hooksSchema>;

/** A shell command run on each server (through the remote hook runner); exit 0 means healthy. */
const healthCheckSchema = z
  .string()
  .trim()
  .max(2000, 'health check must be at most 2000 characters')
  .refine((s) => !s.includes('\0'), 'health check must not contain NUL characters');

/** `all`, or `canary:<n>` (n servers first) or `canary:<p>%` (p percent of them, at least one). */
const rolloutSchema = z
  .string()
  .trim()
  .refine((s) => {
    if (s === 'all') return true;
    const m = /^canary:([1-9]\d{0,3})(%?)$/.exec(s);
    return m !== null && (m[2] === '' || Number(m[1]) < 100);
  }, 'rollout must be all, canary:<n> (e.g. canary:1) or canary:<p>% (e.g. canary:10%, below 100%)');

/** mention | dm | none (see NoticeMode). */
const noticeSchema = (key: string) => z.enum(['mention', 'dm', 'none'], { message: `${key} must be mention, dm or none` });

const projectFields = {
  name: slugSchema('project name'),
  title: z.string().trim().max(200, 'title must be at most 200 characters').optional(),
  repoUrl: gitUrlSchema,
  environment: z.enum(['test', 'prod'], { message: 'env must be test or prod' }).default('test'),
  deployPath: absolutePathSchema('deploy path'),
  servers: z.array(slugSchema('server name')).min(1, 'at least one server is required (servers=web-1,web-2)'),
  defaultBranch: branchSchema.default('main'),
  keepReleases: countSchema('keep', 1, 100).default(5),
  approvers: z.array(userIdSchema).max(50).default([]),
  notifyChannel: channelIdSchema.nullable().optional(),
  maxParallel: countSchema('parallel', 1, 500).default(10),
  requiredApprovals: countSchema('approvals', 1, 10).default(1),
  promoteFrom: slugSchema('promote_from project').nullable().optional(),
  healthCheck: healthCheckSchema.default(''),
  healthTimeout: countSchema('health_timeout', 1, 3600).default(30),
  rollout: rolloutSchema.default('all'),
  canaryWait: countSchema('canary_wait', 0, 86_400).default(60),
  onFailure: z.enum(['rollback', 'continue'], { message: 'on_failure must be rollback or continue' }).default('rollback'),
  distribution: z.enum(['auto', 'direct', 'relay'], { message: 'distribution must be auto, direct or relay' }).default('auto'),
  notifyApprovers: noticeSchema('notify_approvers').default('dm'),
  notifyRequester: noticeSchema('notify_requester').default('mention'),
  hooks: hooksSchema.partial().optional(),
};

function prodNeedsApprover(value: { environment?: string; approvers?: string[]; requiredApprovals?: number }, ctx: z.RefinementCtx) {
  if (value.environment === 'prod' && (!value.approvers || value.approvers.length === 0)) {
    ctx.addIssue({ code: 'custom', path: ['approvers'], message: 'a prod project needs at least one approver (approvers=@alice)' });
  }
  const problem = approvalsProblem(value.requiredApprovals ?? 1, value.approvers ?? []);
  if (problem) ctx.addIssue({ code: 'custom', path: ['requiredApprovals'], message: problem });
}

/** N approvals need at least N approvers (distinct people, and the requester never counts). */
export function approvalsProblem(required: number, approvers: readonly string[]): string | null {
  const distinct = new Set(approvers).size;
  if (required <= 1 || required <= distinct) return null;
  return `approvals=${required} needs at least ${required} approvers, and the project has ${distinct}: add approvers (approvers=@a,@b,…) or lower approvals`;
}

export const projectAddSchema = z.object(projectFields).superRefine(prodNeedsApprover);
export type ProjectAddInput = z.input<typeof projectAddSchema>;

export const projectEditSchema = z
  .object({
    title: projectFields.title,
    repoUrl: gitUrlSchema.optional(),
    environment: z.enum(['test', 'prod'], { message: 'env must be test or prod' }).optional(),
    deployPath: absolutePathSchema('deploy path').optional(),
    servers: projectFields.servers.optional(),
    defaultBranch: branchSchema.optional(),
    keepReleases: countSchema('keep', 1, 100).optional(),
    approvers: z.array(userIdSchema).max(50).optional(),
    notifyChannel: channelIdSchema.nullable().optional(),
    maxParallel: countSchema('parallel', 1, 500).optional(),
    requiredApprovals: countSchema('approvals', 1, 10).optional(),
    promoteFrom: slugSchema('promote_from project').nullable().optional(),
    healthCheck: healthCheckSchema.optional(),
    healthTimeout: countSchema('health_timeout', 1, 3600).optional(),
    rollout: rolloutSchema.optional(),
    canaryWait: countSchema('canary_wait', 0, 86_400).optional(),
    onFailure: z.enum(['rollback', 'continue'], { message: 'on_failure must be rollback or continue' }).optional(),
    distribution: z.enum(['auto', 'direct', 'relay'], { message: 'distribution must be auto, direct or relay' }).optional(),
    notifyApprovers: noticeSchema('notify_approvers').optional(),
    notifyRequester: noticeSchema('notify_requester').optional(),
    hooks: hooksSchema.partial().optional(),
  })
  .strict();
export type ProjectEditInput = z.input<typeof projectEditSchema>;
