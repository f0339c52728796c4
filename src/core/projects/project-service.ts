import { assertNoSharedPath } from './shared-paths.js';
import type { EntityManager } from '@mikro-orm/core';
import { DeployTask, Project, Release, Server } from '../../db/entities/index.js';
import { UserError } from '../../errors.js';
import { type Actor, requireAdmin } from '../actor.js';
import { audit } from '../audit.js';
import { mention } from '../mention.js';
import { approvalsProblem, hooksSchema, projectAddSchema, projectEditSchema, type HooksInput, type ProjectAddInput, type ProjectEditInput } from './project-schemas.js';
import { projectView, type HookScripts, type ProjectView } from '../views.js';
import { parseInput } from '../zod-errors.js';
import type { SecretBox } from '../../secrets/secret-box.js';
import { hasUrlCredentials, isMaskedUrl, maskUrlCredentials } from '../../pipeline/git/git-url.js';

const HOOK_COLUMNS = {
  before_download: 'hookBeforeDownload',
  after_download: 'hookAfterDownload',
  before_deploy: 'hookBeforeDeploy',
  after_deploy: 'hookAfterDeploy',
} as const satisfies Record<keyof HookScripts, keyof Project>;

export class ProjectService {
  constructor(
    private readonly em: EntityManager,
    private readonly secrets?: SecretBox,
  ) {}

  /**
   * Stores a repository URL: credentials in it are encrypted like every other secret, and only the
   * masked form (`https://user:***@host/…`) is kept in clear, shown, logged and audited.
   * The masked URL of the project itself (copied from `project show`, or left in the edit form)
   * keeps the stored credentials.
   */
  private storeRepoUrl(project: Pick<Project, 'repoUrl' | 'repoUrlEnc'>, url: string): boolean {
    if (isMaskedUrl(url)) {
      // The project's own masked URL (from `project show`, or left as is in the edit form): unchanged.
      if (url === project.repoUrl) return false;
      throw new UserError('The repository URL has its credentials masked (***): give the full URL with its token, or better a deploy key (ssh://…) or a per-project token.', { repoUrl: 'the credentials are masked (***): give the full URL' });
    }
    if (!hasUrlCredentials(url)) {
      const changed = project.repoUrl !== url || Boolean(project.repoUrlEnc);
      project.repoUrl = url;
      project.repoUrlEnc = null;
      return changed;
    }
    if (!this.secrets) throw new Error('ProjectService needs the SecretBox to store repository credentials');
    project.repoUrl = maskUrlCredentials(url);
    project.repoUrlEnc = this.secrets.encrypt(url);
    return true;
  }

  /** The real URL behind a shown (masked) one, for git only (GitMirrors' credentials source). */
  async gitUrlFor(shownUrl: string): Promise<string | undefined> {
    const project = await this.em.findOne(Project, { repoUrl: shownUrl, repoUrlEnc: { $ne: null } }, { fields: ['repoUrl', 'repoUrlEnc'] });
    if (!project?.repoUrlEnc || !this.secrets) return undefined;
    return this.secrets.decrypt(project.repoUrlEnc);
  }

  /**
   * Projects stored by an older version with credentials in clear: encrypt them now (at start).
   * Returns how many were sealed.
   */
  async sealRepoCredentials(): Promise<number> {
    const all = await this.em.find(Project, { repoUrlEnc: null }, { fields: ['repoUrl', 'repoUrlEnc'] });
    let sealed = 0;
    for (const project of all) {
      if (!hasUrlCredentials(project.repoUrl) || isMaskedUrl(project.repoUrl)) continue;
      this.storeRepoUrl(project, project.repoUrl);
      sealed += 1;
    }
    if (sealed) await this.em.flush();
    return sealed;
  }

  async add(actor: Actor, input: ProjectAddInput): Promise<ProjectView> {
    requireAdmin(actor, 'add projects');
    const data = parseInput(projectAddSchema, input, 'add the project');
    if (await this.em.count(Project, { name: data.name })) {
      throw new UserError(`A project named ${data.name} already exists: pick another name, or change it with \`project edit ${data.name}\`.`, { name: 'a project with this name already exists' });
    }
    const servers = await this.requireServers(data.servers);
    await assertNoSharedPath(this.em, `add project ${data.name}`, { id: null, deployPath: data.deployPath, servers });
    const project = this.em.create(Project, {
      name: data.name,
      title: data.title || data.name,
      repoUrl: '',
      environment: data.environment,
      deployPath: data.deployPath,
      defaultBranch: data.defaultBranch,
      keepReleases: data.keepReleases,
      approvers: unique(data.approvers),
      notifyChannel: data.notifyChannel ?? null,
      maxParallel: data.maxParallel,
      requiredApprovals: data.requiredApprovals,
      promoteFrom: await this.promotionSource(data.name, data.promoteFrom),
      healthCheck: data.healthCheck,
      healthTimeout: data.healthTimeout,
      rollout: data.rollout,
      canaryWait: data.canaryWait,
      onFailure: data.onFailure,
      distribution: data.distribution,
      notifyApprovers: data.notifyApprovers,
      notifyRequester: data.notifyRequester,
      hookBeforeDownload: data.hooks?.before_download ?? '',
      hookAfterDownload: data.hooks?.after_download ?? '',
      hookBeforeDeploy: data.hooks?.before_deploy ?? '',
      hookAfterDeploy: data.hooks?.after_deploy ?? '',
      createdBy: actor.id,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    project.servers.set(servers);
    this.storeRepoUrl(project, data.repoUrl);
    audit(this.em, actor, 'project.add', `project:${data.name}`, {
      repoUrl: project.repoUrl,
      environment: data.environment,
      deployPath: data.deployPath,
      servers: data.servers,
    });
    await this.em.flush();
    return projectView(project);
  }

  async list(): Promise<ProjectView[]> {
    const projects = await this.em.find(Project, {}, { orderBy: { name: 'asc' }, populate: ['servers'] });
    return projects.map(projectView);
  }

  async show(name: string): Promise<ProjectView> {
    return projectView(await this.require(name));
  }

  /** Loads a project (with its servers) or explains which ones exist. */
  async require(name: string): Promise<Project> {
    const project = await this.em.findOne(Project, { name: String(name).trim().toLowerCase() }, { populate: ['servers'] });
    if (!project) {
      const known = (await this.em.find(Project, {}, { orderBy: { name: 'asc' }, fields: ['name'] })).map((p) => p.name);
      throw new UserError(`No project named ${name}.${known.length ? ` Known projects: ${known.join(', ')}.` : ' Add one with `project add`.'}`);
    }
    return project;
  }

  async edit(actor: Actor, name: string, input: ProjectEditInput): Promise<ProjectView> {
    requireAdmin(actor, 'edit projects');
    const project = await this.require(name);
    const data = parseInput(projectEditSchema, input, `edit project ${project.name}`);
    const environment = data.environment ?? project.environment;
    const approvers = data.approvers ? unique(data.approvers) : project.approvers;
    if (environment === 'prod' && approvers.length === 0) {
      throw new UserError(`Cannot edit project ${project.name}: a prod project needs at least one approver (approvers=@alice).`, { approvers: 'a prod project needs at least one approver' });
    }
    const approvalsWrong = approvalsProblem(data.requiredApprovals ?? project.requiredApprovals, approvers);
    if (approvalsWrong) throw new UserError(`Cannot edit project ${project.name}: ${approvalsWrong}.`, { requiredApprovals: approvalsWrong });
    if (data.deployPath && data.deployPath !== project.deployPath) await this.assertIdle(project, 'change its deploy path');

    if (data.deployPath || data.servers) {
      const servers = data.servers ? await this.requireServers(data.servers) : project.servers.getItems();
      await assertNoSharedPath(this.em, `edit project ${project.name}`, { id: project.id, deployPath: data.deployPath ?? project.deployPath, servers });
    }

    const changed: string[] = [];
    const assign = <K extends keyof Project>(key: K, value: Project[K] | undefined) => {
      if (value === undefined || JSON.stringify(project[key]) === JSON.stringify(value)) return;
      project[key] = value;
      changed.push(String(key));
    };
    assign('title', data.title);
    if (data.repoUrl !== undefined && this.storeRepoUrl(project, data.repoUrl)) changed.push('repoUrl');
    assign('environment', data.environment);
    assign('deployPath', data.deployPath);
    assign('defaultBranch', data.defaultBranch);
    assign('keepReleases', data.keepReleases);
    assign('approvers', data.approvers ? approvers : undefined);
    assign('notifyChannel', data.notifyChannel);
    assign('maxParallel', data.maxParallel);
    assign('requiredApprovals', data.requiredApprovals);
    if (data.promoteFrom !== undefined) assign('promoteFrom', await this.promotionSource(project.name, data.promoteFrom));
    assign('healthCheck', data.healthCheck);
    assign('healthTimeout', data.healthTimeout);
    assign('rollout', data.rollout);
    assign('canaryWait', data.canaryWait);
    assign('onFailure', data.onFailure);
    assign('distribution', data.distribution);
    assign('notifyApprovers', data.notifyApprovers);
    assign('notifyRequester', data.notifyRequester);
    if (data.servers) {
      const servers = await this.requireServers(data.servers);
      const before = project.servers.getItems().map((s) => s.name).sort().join(',');
      project.servers.set(servers);
      if (before !== [...data.servers].sort().join(',')) changed.push('servers');
    }
    if (data.hooks) changed.push(...this.applyHooks(project, onlyGiven(data.hooks, input.hooks)));

    audit(this.em, actor, 'project.edit', `project:${project.name}`, { changed });
    await this.em.flush();
    return projectView(project);
  }

  async setHooks(actor: Actor, name: string, hooks: HooksInput | Partial<HooksInput>): Promise<ProjectView> {
    requireAdmin(actor, 'change hook scripts');
    const project = await this.require(name);
    const data = parseInput(hooksSchema.partial(), hooks, `change the hooks of ${project.name}`);
    const changed = this.applyHooks(project, onlyGiven(data, hooks));
    audit(this.em, actor, 'project.hooks', `project:${project.name}`, { changed });
    await this.em.flush();
    return projectView(project);
  }

  async remove(actor: Actor, name: string): Promise<void> {
    requireAdmin(actor, 'remove projects');
    const project = await this.require(name);
    await this.assertIdle(project, 'remove it');
    audit(this.em, actor, 'project.remove', `project:${project.name}`, { repoUrl: project.repoUrl });
    this.em.remove(project);
    await this.em.flush();
  }

  /** Freezes a project: every deploy request is refused with who locked it and why. */
  async lock(actor: Actor, name: string, reason: string | undefined): Promise<ProjectView> {
    const project = await this.require(name);
    if (!actor.isAdmin && !project.approvers.includes(actor.id)) {
      throw new UserError(`Only admins and the approvers of ${project.name} can lock it.`);
    }
    if (project.lockedBy) {
      throw new UserError(`Project ${project.name} is already locked by ${mention(project.lockedBy)}${project.lockReason ? `: ${project.lockReason}` : ''}.`);
    }
    const why = reason?.trim() || null;
    if (why && why.length > 500) throw new UserError('Keep the lock reason under 500 characters.');
    const now = new Date();
    // One winner: two people locking at once both see "unlocked"; only one update applies.
    const won = await this.em.transactional(async (tem) => {
      const n = await tem.nativeUpdate(Project, { id: project.id, lockedBy: null }, { lockedBy: actor.id, lockReason: why, lockedAt: now });
      if (n === 1) audit(tem, actor, 'project.lock', `project:${project.name}`, { reason: why });
      return n === 1;
    });
    const fresh = await this.em.findOneOrFail(Project, { id: project.id }, { refresh: true, populate: ['servers'] });
    if (!won) throw new UserError(`Project ${project.name} is already locked by ${mention(fresh.lockedBy ?? 'someone')}${fresh.lockReason ? `: ${fresh.lockReason}` : ''}.`);
    return projectView(fresh);
  }

  async unlock(actor: Actor, name: string): Promise<ProjectView> {
    const project = await this.require(name);
    if (!project.lockedBy) throw new UserError(`Project ${project.name} is not locked.`);
    if (!actor.isAdmin && actor.id !== project.lockedBy && !project.approvers.includes(actor.id)) {
      throw new UserError(`Only ${mention(project.lockedBy)} (who locked it), the approvers of ${project.name} or an admin can unlock it.`);
    }
    const lockedBy = project.lockedBy;
    const won = await this.em.transactional(async (tem) => {
      const n = await tem.nativeUpdate(Project, { id: project.id, lockedBy }, { lockedBy: null, lockReason: null, lockedAt: null });
      if (n === 1) audit(tem, actor, 'project.unlock', `project:${project.name}`, { lockedBy, reason: project.lockReason ?? null });
      return n === 1;
    });
    const fresh = await this.em.findOneOrFail(Project, { id: project.id }, { refresh: true, populate: ['servers'] });
    if (!won) throw new UserError(fresh.lockedBy ? `Project ${project.name} was locked again by ${mention(fresh.lockedBy)} meanwhile.` : `Project ${project.name} was unlocked meanwhile.`);
    return projectView(fresh);
  }

  /** What is live on each server of the project, from the recorded releases. */
  async liveReleases(name: string): Promise<{ server: string; release: string | null; commit: string | null }[]> {
    const project = await this.require(name);
    const current = await this.em.find(Release, { project, isCurrent: true }, { populate: ['server'] });
    return project.servers
      .getItems()
      .map((s) => {
        const r = current.find((c) => c.server.id === s.id);
        return { server: s.name, release: r?.releaseId ?? null, commit: r?.commit ?? null };
      })
      .sort((a, b) => a.server.localeCompare(b.server));
  }

  private applyHooks(project: Project, hooks: Partial<HookScripts>): string[] {
    const changed: string[] = [];
    for (const [hook, column] of Object.entries(HOOK_COLUMNS) as [keyof HookScripts, (typeof HOOK_COLUMNS)[keyof HookScripts]][]) {
      const script = hooks[hook];
      if (script !== undefined && project[column] !== script) {
        project[column] = script;
        changed.push(hook);
      }
    }
    return changed;
  }

  private async assertIdle(project: Project, what: string): Promise<void> {
    const running = await this.em.count(DeployTask, { project, status: 'running' });
    if (running) throw new UserError(`Project ${project.name} has a deploy running: wait for it to finish (or cancel it) before you ${what}.`);
  }

  private async requireServers(names: string[]): Promise<Server[]> {
    const wanted = unique(names);
    const found = await this.em.find(Server, { name: { $in: wanted } });
    const missing = wanted.filter((n) => !found.some((s) => s.name === n));
    if (missing.length) {
      throw new UserError(`Unknown server${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}. Add ${missing.length > 1 ? 'them' : 'it'} first with \`server add\`, or check \`server list\`.`, { servers: `unknown: ${missing.join(', ')}` });
    }
    return wanted.map((n) => found.find((s) => s.name === n)!);
  }

  /** `promote_from=` names another existing project (null clears the gate). */
  private async promotionSource(name: string, source: string | null | undefined): Promise<string | null> {
    if (!source) return null;
    if (source === name) throw new UserError(`A project cannot promote from itself: name its test project (promote_from=${name}-test).`, { promoteFrom: 'a project cannot promote from itself' });
    if (!(await this.em.count(Project, { name: source }))) throw new UserError(`No project named ${source} to promote from. See \`project list\`.`, { promoteFrom: 'unknown project' });
    return source;
  }
}

/**
 * The hooks the caller named. zod 4 fills a `.partial()` field's default even when the key is absent,
 * so without this, setting one hook would blank the three others.
 */
function onlyGiven(parsed: Partial<HookScripts>, given: object | undefined): Partial<HookScripts> {
  const names = Object.keys(given ?? {});
  return Object.fromEntries(Object.entries(parsed).filter(([k]) => names.includes(k))) as Partial<HookScripts>;
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];

}
