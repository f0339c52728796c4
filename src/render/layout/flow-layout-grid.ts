/**
 * Summary mode's server list: every server on one line, four small state squares (upload, before
 * deploy, switch, after deploy) and its name, filled column by column in configuration order so a
 * reader finds "web-17" where they expect it. Failed servers are red and bold.
 */
import { HOST_STAGES } from '../../pipeline/stages.js';
import { hostState, type HostView } from '../flow-model.js';
import { CANVAS_WIDTH, LABEL_SIZE, MARGIN, SMALL_SIZE, emptyBody, type BodyParts } from './flow-layout-parts.js';
import { centeredBaseline, simpleText } from '../flow-scene.js';
import { stageLabel } from '../flow-theme.js';
import { cleanText } from '../text-safety.js';

export const cellId = (index: number, stage: string): string => `cell:${index}:${stage}`;

const CELL = 12;
const CELL_GAP = 3;
const GRID_ROW = 22;
const COLUMN_GAP = 16;

/** Columns so the grid stays short but names keep ~30 characters. */
export function gridColumns(hostCount: number): number {
  return hostCount <= 24 ? 3 : hostCount <= 120 ? 4 : 5;
}

export function layoutGrid(hosts: readonly HostView[], top: number): BodyParts {
  const body = emptyBody(top);
  const headBaseline = top + 0.93 * 13;
  const heading = simpleText(MARGIN, headBaseline, `Servers (${hosts.length})`, 'strong', { size: 13, bold: true });
  const hint = simpleText(heading.box.x + heading.box.w + 12, headBaseline, `squares: ${HOST_STAGES.map(stageLabel).join(' → ')}`, 'muted', {
    size: SMALL_SIZE,
  });
  body.texts.push(heading, hint);

  const columns = gridColumns(hosts.length);
  const rows = Math.ceil(hosts.length / columns);
  const columnW = (CANVAS_WIDTH - 2 * MARGIN - (columns - 1) * COLUMN_GAP) / columns;
  const cellsW = HOST_STAGES.length * CELL + (HOST_STAGES.length - 1) * CELL_GAP;
  const gridTop = top + 26;
  hosts.forEach((host, index) => {
    const x = MARGIN + Math.floor(index / rows) * (columnW + COLUMN_GAP);
    const centerY = gridTop + (index % rows) * GRID_ROW + GRID_ROW / 2;
    HOST_STAGES.forEach((stage, i) => {
      const box = { x: x + i * (CELL + CELL_GAP), y: centerY - CELL / 2, w: CELL, h: CELL };
      body.nodes.push({ id: cellId(index, stage), shape: 'cell', state: host.stages[stage].state, box, lines: [] });
    });
    const failed = hostState(host) === 'failed';
    body.texts.push(
      simpleText(x + cellsW + 8, centeredBaseline(centerY, LABEL_SIZE), cleanText(host.name) || '(unnamed)', failed ? 'danger' : 'strong', {
        size: LABEL_SIZE,
        bold: failed,
        maxWidth: columnW - cellsW - 8,
      }),
    );
  });
  body.bottom = gridTop + rows * GRID_ROW;
  return body;
}
