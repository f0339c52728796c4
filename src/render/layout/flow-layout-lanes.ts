/**
 * Lanes mode, for a handful of servers: the task row fans out to one lane per server (its name,
 * then upload → before deploy → switch → after deploy) and fans back in to `done`. Every node of
 * every server is visible with its own time, so the reader sees exactly where each one is.
 *
 *   [start]→[before download]→…→[package]─┬─▶│ web-1  [upload]→…→[after deploy] │─┬─▶[done]
 *                                          └─▶│ web-2  [upload]→…→[after deploy] │─┘
 */
import { HOST_STAGES } from '../../pipeline/stages.js';
import { failedStage, hostState, type FlowSnapshot, type HostView } from '../flow-model.js';
import {
  DONE_X,
  NODE_H,
  NODE_W,
  TASK_ROW_RIGHT,
  UNDER_H,
  addParts,
  emptyBody,
  errorStrip,
  stageNode,
  straightEdge,
  underNodeText,
  type BodyParts,
} from './flow-layout-parts.js';
import { DONE_ID, layoutDoneNode, layoutTaskRow } from './flow-layout-task-row.js';
import { layoutFleetSwitch } from './flow-layout-switch.js';
import { centeredBaseline, simpleText, type SceneNode } from '../flow-scene.js';
import { stageLabel } from '../flow-theme.js';
import { cleanText } from '../text-safety.js';

const FAN_GAP = 26;
const LANE_X = TASK_ROW_RIGHT + FAN_GAP;
const LANE_PAD = 12;
/** Room for ~18 characters of server name in bold 13 px; longer names end in an ellipsis. */
const NAME_W = 148;
/** Five host stages (upload → health check) fit beside the task row with these gaps. */
const HOST_GAP = 12;
const LANE_W = LANE_PAD + NAME_W + HOST_STAGES.length * NODE_W + (HOST_STAGES.length - 1) * HOST_GAP + LANE_PAD;
const LANE_TOP_PAD = 8;
const LANE_BOTTOM_PAD = 6;
const ERROR_H = 24;
const LANE_GAP = 8;
const NAME_SIZE = 13;
const COPY_SIZE = 10;

/** Room check at load time: the fan-in needs a visible gap before `done`. */
if (LANE_X + LANE_W + FAN_GAP > DONE_X) throw new Error('flow-layout-lanes: lanes do not fit the canvas');

export const laneId = (index: number): string => `lane:${index}`;
export const hostNodeId = (index: number, stage: string): string => `host:${index}:${stage}`;

export function layoutLanes(snapshot: FlowSnapshot, top: number): BodyParts {
  const body = emptyBody(top);
  const hosts = snapshot.hosts;

  // Lanes top to bottom; remember each lane's node centre line for the fan edges.
  const centers: number[] = [];
  let y = top;
  hosts.forEach((host, index) => {
    const lane = layoutLane(host, index, y);
    addParts(body, lane);
    centers.push(lane.centerY);
    y = lane.bottom + LANE_GAP;
  });
  if (hosts.length === 0) {
    const box = { x: LANE_X, y: top, w: LANE_W, h: LANE_TOP_PAD + NODE_H + UNDER_H + LANE_BOTTOM_PAD };
    body.panels.push({ id: laneId(0), role: 'lane', box });
    const centerY = top + LANE_TOP_PAD + NODE_H / 2;
    body.texts.push(
      simpleText(box.x + box.w / 2, centeredBaseline(centerY, NAME_SIZE), 'servers not planned yet', 'muted', {
        size: NAME_SIZE,
        anchor: 'middle',
      }),
    );
    centers.push(centerY);
    body.bottom = box.y + box.h;
  }

  // Barrier and fleet-wide switch across every lane (hosts.length ≥ 1: there are switch columns).
  if (hosts.length > 0) {
    const column = (i: number) => LANE_X + LANE_PAD + NAME_W + i * (NODE_W + HOST_GAP);
    const switchAt = HOST_STAGES.indexOf('switch');
    const fleet = layoutFleetSwitch(snapshot, { beforeRight: column(switchAt - 1) + NODE_W, switchLeft: column(switchAt), switchRight: column(switchAt) + NODE_W }, top, y - LANE_GAP);
    addParts(body, fleet);
  }

  // The main axis runs through the middle of the lane block, so one server gives a straight line.
  const axis = (centers[0]! + centers[centers.length - 1]!) / 2;
  const taskRow = layoutTaskRow(snapshot, axis);
  const done = layoutDoneNode(snapshot, axis);
  addParts(body, taskRow);
  addParts(body, done);

  const laneRight = LANE_X + LANE_W;
  centers.forEach((centerY, index) => {
    const host = hosts[index];
    body.edges.push({
      from: taskRow.last.id,
      to: laneId(index),
      x1: TASK_ROW_RIGHT,
      y1: axis,
      x2: LANE_X,
      y2: centerY,
      curved: true,
      active: host !== undefined && host.stages.upload.state !== 'waiting',
    });
    // The health check is the last step when there is one; without it, after_deploy is.
    const finished = host?.stages.health.state === 'skipped' ? host.stages.after_deploy.state : host?.stages.health.state;
    body.edges.push({
      from: laneId(index),
      to: DONE_ID,
      x1: laneRight,
      y1: centerY,
      x2: done.node.box.x,
      y2: axis,
      curved: true,
      active: finished === 'done' || finished === 'skipped',
    });
  });
  return body;
}

/** One server's lane: panel, name, four chained nodes with their state lines, error strip. */
function layoutLane(host: HostView, index: number, top: number): BodyParts & { centerY: number } {
  const failed = hostState(host) === 'failed';
  const message = cleanText(host.error ?? '');
  const nodesBottom = top + LANE_TOP_PAD + NODE_H + UNDER_H;
  const height = nodesBottom - top + (message === '' ? 0 : ERROR_H + 4) + LANE_BOTTOM_PAD;
  const box = { x: LANE_X, y: top, w: LANE_W, h: height };
  const centerY = top + LANE_TOP_PAD + NODE_H / 2;
  const body = emptyBody(top + height);
  body.panels.push({ id: laneId(index), role: failed ? 'lane-failed' : 'lane', box });

  // Where its copy came from (relay distribution draws the chain this way) and how fast, under the name.
  const copy = copyLine(host);
  const nameY = copy ? centerY - 7 : centerY;
  body.texts.push(
    simpleText(box.x + LANE_PAD, centeredBaseline(nameY, NAME_SIZE), cleanText(host.name) || '(unnamed)', failed ? 'danger' : 'strong', {
      size: NAME_SIZE,
      bold: true,
      maxWidth: NAME_W - 12,
    }),
  );
  if (copy) body.texts.push(simpleText(box.x + LANE_PAD, centeredBaseline(centerY + 9, COPY_SIZE), copy, 'muted', { size: COPY_SIZE, maxWidth: NAME_W - 12 }));

  let previous: SceneNode | undefined;
  HOST_STAGES.forEach((stage, i) => {
    const view = host.stages[stage];
    const nodeBox = { x: box.x + LANE_PAD + NAME_W + i * (NODE_W + HOST_GAP), y: centerY - NODE_H / 2, w: NODE_W, h: NODE_H };
    const node = stageNode(hostNodeId(index, stage), 'stage', stageLabel(stage), view.state, nodeBox);
    body.nodes.push(node);
    const under = underNodeText(node, view);
    if (under) body.texts.push(under);
    if (previous) body.edges.push(straightEdge(previous, node));
    previous = node;
  });

  if (message !== '') {
    const stage = failedStage(host);
    const stripBox = { x: box.x + LANE_PAD, y: nodesBottom + 2, w: LANE_W - 2 * LANE_PAD, h: ERROR_H };
    const strip = errorStrip(`${laneId(index)}:error`, stripBox, stage && stageLabel(stage), message);
    body.panels.push(strip.panel);
    body.texts.push(strip.text);
  }
  return { ...body, centerY };
}

/** `11.8 MB/s ← web-1`: the upload rate first (a long source name is what gets cut), then the source. */
export function copyLine(host: HostView): string {
  if (!host.source) return '';
  const source = host.source === 'bot' ? 'bot' : cleanText(host.source);
  const rate = host.bytesPerSec && host.bytesPerSec > 0 ? `${(host.bytesPerSec / 1e6).toFixed(1)} MB/s ` : '';
  return `${rate}← ${source}`;
}
