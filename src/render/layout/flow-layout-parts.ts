/**
 * Building blocks shared by both layouts: sizes, a stage node with its label, the state line under
 * a node, straight edges, and the task-error strip.
 */
import type { StageState } from '../../pipeline/stages.js';
import type { StageView } from '../flow-model.js';
import {
  centeredBaseline,
  makeText,
  simpleText,
  type Box,
  type SceneEdge,
  type SceneNode,
  type ScenePanel,
  type SceneText,
  type NodeShape,
} from '../flow-scene.js';
import { STATE_STYLES } from '../flow-theme.js';
import { formatDuration } from '../format-duration.js';
import { textWidth } from '../text-metrics.js';

/**
 * Canvas width, the same in both modes so consecutive snapshots in a thread line up. Ten nodes in a
 * row at a readable 12 px need about this much; it stays under Slack's ~1600 px full-size viewer.
 */
export const CANVAS_WIDTH = 1544;
export const MARGIN = 24;

export const NODE_W = 104;
export const NODE_H = 42;
export const TASK_GAP = 24;
export const DONE_W = 88;
export const LABEL_SIZE = 12;
export const SMALL_SIZE = 11;
/** Vertical room for the state line under a node. */
export const UNDER_H = 16;

/** Task stages sit at the left in both modes. */
export function taskNodeX(index: number): number {
  return MARGIN + index * (NODE_W + TASK_GAP);
}
export const TASK_ROW_RIGHT = taskNodeX(4) + NODE_W;
export const DONE_X = CANVAS_WIDTH - MARGIN - DONE_W;

/**
 * A node with its label, on one line when it fits, else wrapped at spaces onto two
 * ("before" / "deploy"): wrapping keeps the stage names whole at a readable size.
 */
export function stageNode(id: string, shape: NodeShape, label: string, state: StageState, box: Box): SceneNode {
  const inner = box.w - 14;
  const centerX = box.x + box.w / 2;
  const centerY = box.y + box.h / 2;
  const lines: SceneText[] = [];
  const words = label.split(' ');
  if (textWidth(label, LABEL_SIZE, true) <= inner || words.length === 1) {
    lines.push(simpleText(centerX, centeredBaseline(centerY, LABEL_SIZE), label, 'on-fill', textOptions(inner)));
  } else {
    // Greedy split: as many words on the first line as fit.
    let split = 1;
    while (split < words.length - 1 && textWidth(words.slice(0, split + 1).join(' '), LABEL_SIZE, true) <= inner) split++;
    const rows = [words.slice(0, split).join(' '), words.slice(split).join(' ')];
    rows.forEach((row, i) => {
      const rowCenter = centerY + (i === 0 ? -7 : 7);
      lines.push(simpleText(centerX, centeredBaseline(rowCenter, LABEL_SIZE), row, 'on-fill', textOptions(inner)));
    });
  }
  return { id, shape, state, box, lines };
}

function textOptions(maxWidth: number) {
  return { size: LABEL_SIZE, bold: true, anchor: 'middle' as const, maxWidth };
}

/**
 * "✓ 1.2s" under a node: the state in words-or-glyph plus the time, so state is never colour
 * alone. Waiting nodes get nothing: grey boxes already say "not yet" and the row stays quiet.
 */
export function underNodeText(node: SceneNode, view: StageView, text?: string): SceneText | undefined {
  const style = STATE_STYLES[view.state];
  const duration = view.durationMs === undefined ? '' : formatDuration(view.durationMs);
  let content = text;
  if (content === undefined) {
    if (view.state === 'waiting') return undefined;
    const detail = duration !== '' && view.state !== 'skipped' ? duration : view.state === 'done' ? '' : style.word;
    content = detail === '' ? style.glyph : `${style.glyph} ${detail}`;
  }
  const baseline = node.box.y + node.box.h + 13;
  return simpleText(node.box.x + node.box.w / 2, baseline, content, view.state, {
    size: SMALL_SIZE,
    anchor: 'middle',
    maxWidth: node.box.w + 16,
  });
}

/** A straight arrow between neighbours on one row, at the target's vertical centre. */
export function straightEdge(from: SceneNode, to: SceneNode): SceneEdge {
  const y = to.box.y + to.box.h / 2;
  return {
    from: from.id,
    to: to.id,
    x1: from.box.x + from.box.w,
    y1: y,
    x2: to.box.x,
    y2: y,
    curved: false,
    active: to.state !== 'waiting',
  };
}

/** A pale red strip holding one error line: "✗ download: repository not found". */
export function errorStrip(
  id: string,
  box: Box,
  stage: string | undefined,
  message: string,
): { panel: ScenePanel; text: SceneText } {
  const prefix = stage === undefined ? '✗ ' : `✗ ${stage}: `;
  const text = makeText(
    box.x + 8,
    centeredBaseline(box.y + box.h / 2, LABEL_SIZE),
    [
      { text: prefix, tone: 'danger' },
      { text: message, tone: 'strong' },
    ],
    { size: LABEL_SIZE, maxWidth: box.w - 16 },
  );
  return { panel: { id, role: 'error', box }, text };
}

/** What a body layout (lanes or summary) contributes to the scene. */
export interface BodyParts {
  nodes: SceneNode[];
  edges: SceneEdge[];
  panels: ScenePanel[];
  texts: SceneText[];
  bottom: number;
}

export function emptyBody(bottom: number): BodyParts {
  return { nodes: [], edges: [], panels: [], texts: [], bottom };
}

/** Appends `part` to `body` and keeps the lowest bottom. */
export function addParts(body: BodyParts, part: Partial<BodyParts>): void {
  if (part.nodes) body.nodes.push(...part.nodes);
  if (part.edges) body.edges.push(...part.edges);
  if (part.panels) body.panels.push(...part.panels);
  if (part.texts) body.texts.push(...part.texts);
  if (part.bottom !== undefined) body.bottom = Math.max(body.bottom, part.bottom);
}
