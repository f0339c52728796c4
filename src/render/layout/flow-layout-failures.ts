/**
 * Summary mode's red panel: which servers failed, at which stage, and why. Servers that failed the
 * same way (same stage, same message) share one line, because a bad release usually breaks every
 * server identically and fifty copies of "disk full" would push everything else off the screen:
 *
 *   ✗ Failed on 3 of 50 servers
 *   web-07.prod      before deploy   hook exited 1: npm ci: ENOSPC
 *   2 servers        upload          ssh: connect timed out · web-32.prod, web-33.prod
 */
import { failedStage, hostState, type HostView } from '../flow-model.js';
import { CANVAS_WIDTH, LABEL_SIZE, MARGIN, emptyBody, type BodyParts } from './flow-layout-parts.js';
import { makeText, simpleText } from '../flow-scene.js';
import { stageLabel } from '../flow-theme.js';
import { cleanText } from '../text-safety.js';

/** Lines of distinct failures; beyond this, a count (the server grid still marks every one red). */
export const MAX_FAILURE_ROWS = 10;

const HEAD_SIZE = 13;
const ROW = 20;
const NAME_W = 220;
const STAGE_W = 110;

interface FailureGroup {
  stage: string;
  error: string;
  names: string[];
}

/** Failed servers grouped by (stage, message), in order of first appearance. */
export function groupFailures(hosts: readonly HostView[]): FailureGroup[] {
  const groups = new Map<string, FailureGroup>();
  for (const host of hosts) {
    if (hostState(host) !== 'failed') continue;
    const stage = failedStage(host);
    const error = cleanText(host.error ?? '');
    const key = `${stage ?? ''}\u0000${error}`;
    const group = groups.get(key) ?? { stage: stage ? stageLabel(stage) : '', error, names: [] };
    group.names.push(cleanText(host.name) || '(unnamed)');
    groups.set(key, group);
  }
  return [...groups.values()];
}

export function layoutFailures(hosts: readonly HostView[], top: number): BodyParts {
  const groups = groupFailures(hosts);
  const body = emptyBody(0);
  if (groups.length === 0) return body;

  const failedCount = groups.reduce((sum, group) => sum + group.names.length, 0);
  const left = MARGIN + 12;
  const errorX = left + NAME_W + STAGE_W;
  const right = CANVAS_WIDTH - MARGIN - 12;
  const headBaseline = top + 10 + 0.93 * HEAD_SIZE;
  const heading = `✗ Failed on ${failedCount} of ${hosts.length} ${hosts.length === 1 ? 'server' : 'servers'}`;
  body.texts.push(simpleText(left, headBaseline, heading, 'danger', { size: HEAD_SIZE, bold: true }));

  let baseline = headBaseline + 24;
  for (const group of groups.slice(0, MAX_FAILURE_ROWS)) {
    const single = group.names.length === 1;
    const who = single ? group.names[0]! : `${group.names.length} servers`;
    body.texts.push(
      simpleText(left, baseline, who, 'danger', { size: LABEL_SIZE, bold: true, maxWidth: NAME_W - 12 }),
      simpleText(left + NAME_W, baseline, group.stage, 'normal', { size: LABEL_SIZE, maxWidth: STAGE_W - 12 }),
      makeText(
        errorX,
        baseline,
        [
          group.error === '' ? { text: '(no error message)', tone: 'muted' } : { text: group.error, tone: 'strong' },
          // For a group, as many of its names as fit after the message.
          { text: single ? '' : ` · ${group.names.join(', ')}`, tone: 'muted' },
        ],
        { size: LABEL_SIZE, maxWidth: right - errorX },
      ),
    );
    baseline += ROW;
  }
  const rest = groups.length - MAX_FAILURE_ROWS;
  if (rest > 0) {
    const more = `… and ${rest} more kinds of failure (failed servers are red in the list below)`;
    body.texts.push(simpleText(left, baseline, more, 'muted', { size: LABEL_SIZE }));
    baseline += ROW;
  }
  const bottom = baseline - ROW + 0.24 * LABEL_SIZE + 10;
  body.panels.push({ id: 'failures', role: 'error', box: { x: MARGIN, y: top, w: CANVAS_WIDTH - 2 * MARGIN, h: bottom - top } });
  body.bottom = bottom;
  return body;
}
