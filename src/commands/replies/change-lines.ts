import type { ChangeSummary } from '../../core/tasks/change-summary.js';
import { shortSha } from './formatting.js';
import { linkRef } from '../../core/mention.js';

/**
 * "What will change", in lines of mrkdwn: per group of servers running the same commit, how many
 * commits the deploy adds (or takes away) and the first few with author and summary.
 */
export function changeLines(summary: ChangeSummary, options: { multipleGroupsOnly?: boolean } = {}): string[] {
  const lines: string[] = [];
  const several = summary.groups.length > 1;
  if (options.multipleGroupsOnly && !several) return lines;
  for (const g of summary.groups) {
    const where = several ? ` on ${g.servers.join(', ')}` : '';
    const link = g.compareUrl ? ` (${linkRef(g.compareUrl, 'compare')})` : '';
    switch (g.direction) {
      case 'first':
        lines.push(`*First deploy*${where}: nothing is live there yet.`);
        break;
      case 'same':
        lines.push(`*No change*${where}: \`${shortSha(g.liveCommit)}\` is already live.`);
        break;
      case 'unknown':
        lines.push(`*Live commit \`${shortSha(g.liveCommit)}\`*${where} is not in the repository any more (force-pushed?): cannot list the changes.`);
        break;
      case 'ahead':
      case 'behind': {
        const verb = g.direction === 'ahead' ? 'new' : 'removed (this goes back in history)';
        lines.push(`*${g.count} commit${g.count > 1 ? 's' : ''} ${verb}*${where} since \`${shortSha(g.liveCommit)}\`${link}`);
        for (const c of g.commits) lines.push(`• \`${c.shortSha}\` ${c.summary.slice(0, 120)} — ${c.author}`);
        if (g.count > g.commits.length) lines.push(`• … and ${g.count - g.commits.length} more`);
        break;
      }
    }
  }
  return lines;
}
