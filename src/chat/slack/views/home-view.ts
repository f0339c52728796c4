import type { ProjectView, TaskView } from '../../../core/views.js';
import { formatDuration, mention, shortSha, STATUS_EMOJI, STATUS_WORDS } from '../../../commands/replies/formatting.js';
import { withRef } from '../../../core/tasks/release-lookup.js';
import { safeMrkdwn } from '../blocks/mrkdwn.js';
import { slackDate } from '../blocks/slack-date.js';

export interface HomeProject {
  project: ProjectView;
  live: { server: string; release: string | null; commit: string | null }[];
  recent: TaskView[];
  /** The ref each shown release was deployed from (`v1.4.2`), beside its id. */
  refs?: ReadonlyMap<string, string>;
}

type Block = Record<string, unknown>;
// Titles, lock reasons and refs come from people: every mrkdwn string is escaped on its way out.
const mrkdwn = (text: string): Block => ({ type: 'section', text: { type: 'mrkdwn', text: safeMrkdwn(text.slice(0, 1400)) } });

/**
 * The App Home tab: per project, what is live on each server and the recent deploys with status,
 * who, when and how long. Slack allows 100 blocks in a Home view; projects beyond that are
 * summarised with a pointer to `/deploy tasks <project>`.
 */
export function homeView(projects: readonly HomeProject[], timeZone: string): { type: 'home'; blocks: Block[] } {
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: 'deploybot' } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: safeMrkdwn(`Deploy with \`/deploy <project> <ref>\`, or \`/deploy\` for the form · times in ${timeZone}`) }] },
  ];
  if (projects.length === 0) {
    blocks.push(mrkdwn('No projects yet. An admin adds servers with `/deploy server add` and projects with `/deploy project add`.'));
    return { type: 'home', blocks };
  }
  const BUDGET = 95;
  for (const [i, { project, live, recent, refs = new Map() }] of projects.entries()) {
    const own: Block[] = [{ type: 'divider' }, mrkdwn(`*${project.name}*${project.title !== project.name ? ` — ${project.title}` : ''} · ${project.environment}${project.lock ? ` · :lock: locked by ${mention(project.lock.by)}${project.lock.reason ? `: ${project.lock.reason}` : ''}` : ''}`)];
    const liveLines = live.map((l) => `*${l.server}*: ${l.release ? `\`${withRef(l.release, refs)}\` (${shortSha(l.commit)})` : '_nothing deployed_'}`);
    own.push({ type: 'context', elements: [{ type: 'mrkdwn', text: safeMrkdwn(liveLines.join('   ').slice(0, 1400) || '_no servers_') }] });
    const taskLines = recent.map((t) => {
      const when = t.finishedAt ?? t.startedAt ?? t.scheduledAt ?? t.createdAt;
      const took = t.startedAt && t.finishedAt ? ` · ${formatDuration(t.finishedAt.getTime() - t.startedAt.getTime())}` : '';
      const what = t.kind === 'rollback' ? `rollback${t.releaseId ? ` to \`${withRef(t.releaseId, refs)}\`` : ''}` : `\`${t.ref}\``;
      return `${STATUS_EMOJI[t.status]} #${t.id} ${what} · ${STATUS_WORDS[t.status]}${took} · ${mention(t.requestedBy)} · ${slackDate(when, timeZone)}`;
    });
    own.push(mrkdwn(taskLines.join('\n') || '_no deploys yet_'));
    if (blocks.length + own.length > BUDGET) {
      blocks.push(mrkdwn(`…and ${projects.length - i} more project${projects.length - i > 1 ? 's' : ''}: see \`/deploy project list\` and \`/deploy tasks <project>\`.`));
      break;
    }
    blocks.push(...own);
  }
  return { type: 'home', blocks };
}
