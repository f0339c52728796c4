/**
 * Snapshot → scene: picks the mode by server count and stacks header, body and footer.
 *
 * Up to MAX_LANES servers every server gets its own lane: at 12 lanes the image is ~1150 px tall,
 * about a laptop screen in Slack's full-size viewer, and each lane is still easy to follow. Beyond
 * that, lanes would scroll off the screen and the fan edges would merge, so the summary layout takes
 * over (see flow-layout-summary.ts for why it looks the way it does).
 */
import type { FlowSnapshot } from '../flow-model.js';
import { layoutFooter, layoutHeader } from './flow-layout-frame.js';
import { layoutLanes } from './flow-layout-lanes.js';
import { CANVAS_WIDTH, MARGIN } from './flow-layout-parts.js';
import { layoutSummary } from './flow-layout-summary.js';
import type { Scene } from '../flow-scene.js';
import { cleanText } from '../text-safety.js';

export const MAX_LANES = 12;

export function layoutFlow(snapshot: FlowSnapshot): Scene {
  const width = CANVAS_WIDTH;
  const mode = snapshot.hosts.length <= MAX_LANES ? 'lanes' : 'summary';
  const header = layoutHeader(snapshot, width);
  const bodyTop = header.bottom + 28;
  const body = mode === 'lanes' ? layoutLanes(snapshot, bodyTop) : layoutSummary(snapshot, bodyTop);
  const footer = layoutFooter(snapshot, width, body.bottom + 28);
  return {
    title: cleanText(snapshot.title),
    width,
    height: Math.ceil(footer.bottom + MARGIN),
    mode,
    panels: body.panels,
    edges: body.edges,
    nodes: [...body.nodes, ...footer.nodes],
    badges: header.badges,
    texts: [...header.texts, ...body.texts, ...footer.texts],
  };
}
