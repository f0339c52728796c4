import type { types } from '@slack/bolt';
import type { ProjectAddInput, ProjectEditInput } from '../../../core/projects/project-schemas.js';
import type { ProjectView } from '../../../core/views.js';
import { CALLBACKS, INPUT } from '../ids.js';
import { encodeMetadata, type ViewMetadata } from '../metadata.js';
import { context, input, modal, numberInput, plain, radioInput, textInput } from './elements.js';
import { sameNames } from './field-errors.js';
import { serverPickerBlocks, readServerPicker } from './server-picker.js';
import { conversation, selected, text, users, type StateValues } from './view-state.js';

/**
 * The project form (add and edit). Block ids are the service's field names. Servers are picked
 * from the registered ones (a multi-select holds at most 100 options), approvers from the
 * workspace's people, the channel from its conversations.
 */
export const PROJECT_BLOCKS = sameNames('name', 'repoUrl', 'deployPath', 'servers', 'environment', 'approvers', 'notifyChannel', 'keepReleases', 'defaultBranch', 'maxParallel', 'requiredApprovals', 'promoteFrom', 'healthCheck', 'healthTimeout', 'rollout', 'canaryWait', 'onFailure');

export function projectModal(options: { project?: ProjectView; servers: string[]; metadata: ViewMetadata }): types.ModalView {
  const p = options.project;
  const editing = p !== undefined;
  const blocks: types.KnownBlock[] = [];
  if (!editing) blocks.push(textInput('name', 'Name', { placeholder: 'shop', hint: 'Used in commands: /deploy <name> <ref>. Lowercase letters, digits and dashes.', maxLength: 63 }));
  else blocks.push(context(`Editing project *${p.name}*.`));
  blocks.push(
    textInput('repoUrl', 'Git repository', { initial: p?.repoUrl, placeholder: 'git@github.com:acme/shop.git', maxLength: 1000 }),
    textInput('deployPath', 'Deploy path on the servers', { initial: p?.deployPath, placeholder: '/srv/shop', hint: 'Releases go to <path>/releases/…, and <path>/current points at the live one.' }),
    ...serverPickerBlocks(options.servers, p?.servers),
    radioInput('environment', 'Environment', [['test', 'test: deploys start at once'], ['prod', 'prod: every deploy needs an approver']], p?.environment ?? 'test'),
    input(
      'approvers',
      'Approvers',
      { type: 'multi_users_select', action_id: INPUT, placeholder: plain('Who may approve prod deploys'), ...(p?.approvers.length ? { initial_users: p.approvers } : {}) },
      { optional: true, hint: 'Required for prod. Approvers can also roll back and lock the project.' },
    ),
    input(
      'notifyChannel',
      'Channel for results',
      {
        type: 'conversations_select',
        action_id: INPUT,
        placeholder: plain('Pick a channel'),
        filter: { include: ['public', 'private'], exclude_bot_users: true },
        ...(p?.notifyChannel ? { initial_conversation: p.notifyChannel } : {}),
      },
      { optional: true, hint: 'A one-line result of every deploy is posted there.' },
    ),
    textInput('defaultBranch', 'Default branch', { initial: p?.defaultBranch ?? 'main', maxLength: 255 }),
    numberInput('keepReleases', 'Releases kept on each server', { initial: p?.keepReleases ?? 5, min: 1, max: 100 }),
    numberInput('maxParallel', 'Servers updated in parallel', { initial: p?.maxParallel ?? 10, min: 1, max: 500 }),
    numberInput('requiredApprovals', 'Approvals a prod deploy needs', { initial: p?.requiredApprovals ?? 1, min: 1, max: 10 }),
    textInput('promoteFrom', 'Promote from (test project)', { ...(p?.promoteFrom ? { initial: p.promoteFrom } : {}), maxLength: 63, optional: true, hint: 'A commit must succeed on this project before this one deploys it.' }),
    textInput('healthCheck', 'Health check', { ...(p?.healthCheck ? { initial: p.healthCheck } : {}), placeholder: 'curl -fsS http://127.0.0.1:8080/up', maxLength: 2000, optional: true, hint: 'Run on each server after after_deploy until it exits 0. A server whose check keeps failing counts as failed.' }),
    numberInput('healthTimeout', 'Health check timeout (seconds)', { initial: p?.healthTimeout ?? 30, min: 1, max: 3600 }),
    textInput('rollout', 'Rollout', { initial: p?.rollout ?? 'all', maxLength: 16, hint: 'all: every server at once. canary:1 or canary:10%: those first, then the rest after the wait.' }),
    numberInput('canaryWait', 'Canary runs alone for (seconds)', { initial: p?.canaryWait ?? 60, min: 0, max: 86400 }),
    radioInput('onFailure', 'If a server fails', [['rollback', 'switch every server back'], ['continue', 'keep healthy servers on the new release']], p?.onFailure ?? 'rollback'),
  );
  const metadata = encodeMetadata({ ...options.metadata, ...(editing ? { name: p.name } : {}) });
  return editing
    ? modal(CALLBACKS.projectEdit, `Edit project ${p.name}`, 'Save', blocks, metadata)
    : modal(CALLBACKS.projectAdd, 'Add a project', 'Add project', blocks, metadata);
}

function settings(values: StateValues, currentServers?: string[]): ProjectEditInput {
  const servers = readServerPicker(values, currentServers);
  const out: ProjectEditInput = {
    repoUrl: text(values, 'repoUrl') ?? '',
    deployPath: text(values, 'deployPath') ?? '',
    ...(servers !== undefined || currentServers === undefined ? { servers: servers ?? [] } : {}),
    environment: (selected(values, 'environment') ?? 'test') as ProjectEditInput['environment'],
    approvers: users(values, 'approvers'),
    notifyChannel: conversation(values, 'notifyChannel') ?? null,
    onFailure: (selected(values, 'onFailure') ?? 'rollback') as ProjectEditInput['onFailure'],
  };
  const branch = text(values, 'defaultBranch');
  if (branch !== undefined) out.defaultBranch = branch;
  const keep = text(values, 'keepReleases');
  if (keep !== undefined) out.keepReleases = keep;
  const parallel = text(values, 'maxParallel');
  if (parallel !== undefined) out.maxParallel = parallel;
  const approvals = text(values, 'requiredApprovals');
  if (approvals !== undefined) out.requiredApprovals = approvals;
  // Every setting is sent: an emptied field clears the gate.
  out.promoteFrom = text(values, 'promoteFrom') ?? null;
  out.healthCheck = text(values, 'healthCheck') ?? '';
  const healthTimeout = text(values, 'healthTimeout');
  if (healthTimeout !== undefined) out.healthTimeout = healthTimeout;
  const rollout = text(values, 'rollout');
  if (rollout !== undefined) out.rollout = rollout;
  const canaryWait = text(values, 'canaryWait');
  if (canaryWait !== undefined) out.canaryWait = canaryWait;
  return out;
}

export function readProjectAdd(values: StateValues): ProjectAddInput {
  return { ...settings(values), name: text(values, 'name') ?? '' } as ProjectAddInput;
}

/** Every setting is sent; the service records only what changed. An emptied channel clears it. */
export function readProjectEdit(values: StateValues, currentServers?: string[]): ProjectEditInput {
  return settings(values, currentServers);
}
