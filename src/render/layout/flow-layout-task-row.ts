/**
 * The parts both layouts share on the main axis: the task stages in sequence at the left (with the
 * task error under them), and the final `done` node at the right edge.
 */
import { TASK_STAGES } from '../../pipeline/stages.js';
import type { FlowSnapshot } from '../flow-model.js';
import {
  DONE_W,
  DONE_X,
  MARGIN,
  NODE_H,
  NODE_W,
  TASK_ROW_RIGHT,
  UNDER_H,
  emptyBody,
  errorStrip,
  straightEdge,
  stageNode,
  taskNodeX,
  underNodeText,
  type BodyParts,
} from './flow-layout-parts.js';
import type { SceneNode } from '../flow-scene.js';
import { stageLabel } from '../flow-theme.js';
import { cleanText } from '../text-safety.js';

export const taskNodeId = (stage: string): string => `task:${stage}`;
export const DONE_ID = 'final:done';

/** Task nodes centred on `centerY`, chained left to right; the error strip (if any) below them. */
export function layoutTaskRow(snapshot: FlowSnapshot, centerY: number): BodyParts & { last: SceneNode } {
  const body = emptyBody(centerY + NODE_H / 2 + UNDER_H);
  let previous: SceneNode | undefined;
  for (const [index, stage] of TASK_STAGES.entries()) {
    const view = snapshot.taskStages[stage];
    const box = { x: taskNodeX(index), y: centerY - NODE_H / 2, w: NODE_W, h: NODE_H };
    const node = stageNode(taskNodeId(stage), 'stage', stageLabel(stage), view.state, box);
    body.nodes.push(node);
    const under = underNodeText(node, view);
    if (under) body.texts.push(under);
    if (previous) body.edges.push(straightEdge(previous, node));
    previous = node;
  }

  const message = cleanText(snapshot.taskError ?? '');
  if (message !== '') {
    const failed = TASK_STAGES.find((stage) => snapshot.taskStages[stage].state === 'failed');
    const box = { x: MARGIN, y: body.bottom + 6, w: TASK_ROW_RIGHT - MARGIN, h: 24 };
    const strip = errorStrip('task-error', box, failed && stageLabel(failed), message);
    body.panels.push(strip.panel);
    body.texts.push(strip.text);
    body.bottom = box.y + box.h;
  }
  return { ...body, last: previous! };
}

/** The join node at the right edge, centred on `centerY`. */
export function layoutDoneNode(snapshot: FlowSnapshot, centerY: number): BodyParts & { node: SceneNode } {
  const box = { x: DONE_X, y: centerY - NODE_H / 2, w: DONE_W, h: NODE_H };
  const node = stageNode(DONE_ID, 'final', 'done', snapshot.done.state, box);
  const under = underNodeText(node, snapshot.done);
  return {
    node,
    nodes: [node],
    edges: [],
    panels: [],
    texts: under ? [under] : [],
    bottom: box.y + box.h + UNDER_H,
  };
}
