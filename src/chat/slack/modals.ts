import type { types, webApi } from '@slack/bolt';
import { requireAdmin, type Actor } from '../../core/actor.js';
import { OperationalError, UserError } from '../../errors.js';
import type { ModalKind } from '../../commands/replies/command-outcome.js';
import type { Reply } from '../../commands/replies/reply.js';
import { guard } from './guard.js';
import type { ViewMetadata } from './metadata.js';
import type { SlackDeps } from './slack-deps.js';
import { deployModal } from './views/deploy-modal.js';
import { hooksModal } from './views/hooks-modal.js';
import { projectModal } from './views/project-modal.js';
import { serverModal } from './views/server-modal.js';

/**
 * Opens the modal a command asked for. A trigger id is valid for 3 seconds, so only quick local
 * reads happen before views.open (the server list, one project); the version picker's refs are
 * loaded later, by options loads. Admin-only forms are refused before they open (the services
 * refuse the submission anyway). Returns the reply to show instead, if any.
 */
export interface OpenModalRequest {
  triggerId: string;
  actor: Actor;
  modal: ModalKind;
  name?: string | undefined;
  channel?: string | undefined;
}

const ADMIN_ACTIONS: Partial<Record<ModalKind, string>> = {
  'server-add': 'add servers',
  'server-edit': 'edit servers',
  'project-add': 'add projects',
  'project-edit': 'edit projects',
  'project-hooks': 'change hook scripts',
};

export async function buildModal(deps: SlackDeps, request: Omit<OpenModalRequest, 'triggerId'>): Promise<types.ModalView> {
  const { actor, name } = request;
  const metadata: ViewMetadata = request.channel ? { channel: request.channel } : {};
  const adminAction = ADMIN_ACTIONS[request.modal];
  if (adminAction) requireAdmin(actor, adminAction);
  return deps.runtime.app.withServices(async (services) => {
    switch (request.modal) {
      case 'server-add':
        return serverModal({ metadata });
      case 'server-edit':
        return serverModal({ server: await services.servers.show(name ?? ''), metadata });
      case 'project-add': {
        const servers = (await services.servers.list()).map((s) => s.name);
        if (servers.length === 0) throw new UserError('Add a server first: `/deploy server add` (a project deploys to servers you have registered).');
        return projectModal({ servers, metadata });
      }
      case 'project-edit': {
        const project = await services.projects.show(name ?? '');
        const servers = (await services.servers.list()).map((s) => s.name);
        return projectModal({ project, servers, metadata });
      }
      case 'project-hooks':
        return hooksModal({ project: await services.projects.show(name ?? ''), metadata });
      case 'deploy': {
        const projects = await services.projects.list();
        if (projects.length === 0) throw new UserError('There is no project to deploy yet. An admin adds one with `/deploy project add`.');
        const selected = projects.length === 1 ? projects[0] : undefined;
        if (selected) deps.versions.prefetch(selected.repoUrl);
        return deployModal({ projects, ...(selected ? { selected } : {}), isAdmin: actor.isAdmin, actorId: actor.id, metadata });
      }
    }
  });
}

export async function openModal(deps: SlackDeps, client: webApi.WebClient, request: OpenModalRequest): Promise<Reply | null> {
  const result = await guard(deps.log, `open the ${request.modal} form`, async () => {
    const view = await buildModal(deps, request);
    try {
      await client.views.open({ trigger_id: request.triggerId, view });
    } catch (err) {
      throw new OperationalError(`Slack did not open the form (${slackErrorCode(err)}): run the command again.`, { cause: err, transient: true });
    }
  });
  return result.ok ? null : result.reply;
}

/** The `error` of a Web API refusal (`expired_trigger_id`), or the error's message. */
export function slackErrorCode(err: unknown): string {
  const data = (err as { data?: { error?: unknown } } | null)?.data;
  if (typeof data?.error === 'string') return data.error;
  return err instanceof Error ? err.message : String(err);
}
