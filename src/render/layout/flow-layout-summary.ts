/**
 * Summary mode, for many servers (more than MAX_LANES). Fifty lanes of four nodes would make a
 * 4000 px tall image of near-identical rows whose fan-out edges blur into a fan of lines, and the
 * one red node a reader is looking for would be a needle in it. Instead the picture answers the
 * questions in the order a reader in a Slack thread asks them:
 *
 * 1. Where is the release? The same left-to-right flow as lanes mode, but each host stage is one
 *    summary node: a stacked bar of server states and the counts ("✗ 1  ▶ 2  ✓ 47"), plus the
 *    slowest server under it. Same shape as lanes mode, so the two read alike.
 * 2. What broke? Failed servers with their stage and error in a red panel right under the flow,
 *    one line per distinct failure (flow-layout-failures.ts).
 * 3. What about server X? A compact grid, one line per server: four small state squares and the
 *    name, in up to five columns (flow-layout-grid.ts). 50 servers take 13 lines: the image grows
 *    by 22 px per line of the grid instead of ~80 px per server.
 */
import { HOST_STAGES, type HostStage, type StageState } from '../../pipeline/stages.js';
import { combinedState, countStage, type FlowSnapshot, type HostView, type StateCounts } from '../flow-model.js';
import {
  DONE_X,
  LABEL_SIZE,
  SMALL_SIZE,
  TASK_ROW_RIGHT,
  UNDER_H,
  addParts,
  emptyBody,
  straightEdge,
  type BodyParts,
} from './flow-layout-parts.js';
import { layoutFailures } from './flow-layout-failures.js';
import { layoutGrid } from './flow-layout-grid.js';
import { layoutFleetSwitch } from './flow-layout-switch.js';
import { layoutDoneNode, layoutTaskRow } from './flow-layout-task-row.js';
import { centeredBaseline, makeText, simpleText, type Box, type SceneNode, type TextSpan } from '../flow-scene.js';
import { STATE_ORDER, STATE_STYLES, stageLabel } from '../flow-theme.js';
import { formatDuration } from '../format-duration.js';
import { cleanText } from '../text-safety.js';
import { textWidth } from '../text-metrics.js';

const GAP_IN = 40;
const GAP_OUT = 40;
const SUMMARY_GAP = 24;
const SUMMARY_X = TASK_ROW_RIGHT + GAP_IN;
const SUMMARY_W = (DONE_X - GAP_OUT - SUMMARY_X - (HOST_STAGES.length - 1) * SUMMARY_GAP) / HOST_STAGES.length;
const SUMMARY_H = 66;

export const summaryNodeId = (stage: string): string => `summary:${stage}`;

export function layoutSummary(snapshot: FlowSnapshot, top: number): BodyParts {
  const body = emptyBody(top);
  const axis = top + SUMMARY_H / 2;
  const taskRow = layoutTaskRow(snapshot, axis);
  const done = layoutDoneNode(snapshot, axis);
  addParts(body, taskRow);

  let previous: SceneNode = taskRow.last;
  HOST_STAGES.forEach((stage, i) => {
    const box = { x: SUMMARY_X + i * (SUMMARY_W + SUMMARY_GAP), y: top, w: SUMMARY_W, h: SUMMARY_H };
    const node = summaryNode(stage, countStage(snapshot.hosts, stage), box);
    body.nodes.push(node);
    body.edges.push(straightEdge(previous, node));
    const slowest = slowestText(snapshot.hosts, stage);
    if (slowest !== '') {
      body.texts.push(
        simpleText(box.x + box.w / 2, box.y + box.h + 13, slowest, 'muted', { size: SMALL_SIZE, anchor: 'middle', maxWidth: box.w + 16 }),
      );
    }
    body.bottom = Math.max(body.bottom, box.y + box.h + UNDER_H);
    previous = node;
  });
  addParts(body, done);
  body.edges.push(straightEdge(previous, done.node));
  const column = (i: number) => SUMMARY_X + i * (SUMMARY_W + SUMMARY_GAP);
  const switchAt = HOST_STAGES.indexOf('switch');
  addParts(body, layoutFleetSwitch(snapshot, { beforeRight: column(switchAt - 1) + SUMMARY_W, switchLeft: column(switchAt), switchRight: column(switchAt) + SUMMARY_W }, top, body.bottom));

  const failures = layoutFailures(snapshot.hosts, body.bottom + 20);
  addParts(body, failures);
  addParts(body, layoutGrid(snapshot.hosts, body.bottom + 24));
  return body;
}

/** A stage across all servers: label, stacked bar of states, counts. */
function summaryNode(stage: HostStage, counts: StateCounts, box: Box): SceneNode {
  const inner = box.w - 16;
  const centerX = box.x + box.w / 2;
  const label = simpleText(centerX, centeredBaseline(box.y + 15, LABEL_SIZE), stageLabel(stage), 'strong', {
    size: LABEL_SIZE,
    bold: true,
    anchor: 'middle',
    maxWidth: inner,
  });
  const countsText = makeText(centerX, centeredBaseline(box.y + 52, SMALL_SIZE), countSpans(counts, inner), {
    size: SMALL_SIZE,
    bold: true,
    anchor: 'middle',
    maxWidth: inner,
  });
  const bar = stackedBar(counts, { x: box.x + 8, y: box.y + 29, w: inner, h: 10 });
  return { id: summaryNodeId(stage), shape: 'summary', state: combinedState(counts), box, lines: [label, countsText], bar };
}

/** "✗ 1  ▶ 2  ✓ 47": non-zero counts, trouble first; squeezed when all five states occur. */
function countSpans(counts: StateCounts, maxWidth: number): TextSpan[] {
  const present = STATE_ORDER.filter((state) => counts[state] > 0);
  if (present.length === 0) return [{ text: 'no servers', tone: 'muted' }];
  const build = (inner: string, between: string): TextSpan[] =>
    present.map((state, i) => ({ text: `${i === 0 ? '' : between}${STATE_STYLES[state].glyph}${inner}${counts[state]}`, tone: state }));
  const roomy = build(' ', '   ');
  const width = textWidth(roomy.map((s) => s.text).join(''), SMALL_SIZE, true);
  return width <= maxWidth ? roomy : build('', ' ');
}

/** Bar order follows progress: done from the left, then trouble, then what is left to do. */
const BAR_ORDER: readonly StageState[] = ['done', 'skipped', 'failed', 'running', 'waiting'];
const MIN_SEGMENT = 4;

/** Proportional segments; a non-zero count never shrinks below MIN_SEGMENT px (one failure in 500 shows). */
export function stackedBar(counts: StateCounts, box: Box): Array<{ box: Box; state: StageState }> {
  const present = BAR_ORDER.filter((state) => counts[state] > 0);
  const total = present.reduce((sum, state) => sum + counts[state], 0);
  if (total === 0) return [{ box, state: 'waiting' }];
  const widths = present.map((state) => Math.max(MIN_SEGMENT, (counts[state] / total) * box.w));
  // Take what the minimums added back from the widest segment.
  const excess = widths.reduce((sum, w) => sum + w, 0) - box.w;
  const widest = widths.indexOf(Math.max(...widths));
  widths[widest] = widths[widest]! - excess;
  let x = box.x;
  return present.map((state, i) => {
    const segment = { box: { x, y: box.y, w: widths[i]!, h: box.h }, state };
    x += widths[i]!;
    return segment;
  });
}

/** "slowest 4.1s · web-17": the server holding the stage up. */
function slowestText(hosts: readonly HostView[], stage: HostStage): string {
  let slowest: HostView | undefined;
  for (const host of hosts) {
    const ms = host.stages[stage].durationMs;
    if (ms !== undefined && ms > (slowest?.stages[stage].durationMs ?? -1)) slowest = host;
  }
  if (slowest === undefined) return '';
  return `slowest ${formatDuration(slowest.stages[stage].durationMs!)} · ${cleanText(slowest.name)}`;
}
