/**
 * The flow snapshot: a deploy's release flow drawn as an image, for Slack threads and shell mode.
 * Pure functions of a FlowSnapshot; see flow-model.ts for the input.
 */
import type { FlowSnapshot } from './flow-model.js';
import { svgToPng, type PngOptions } from './flow-png.js';
import { renderFlowSvg } from './flow-svg.js';

export type { FlowSnapshot, FlowStatus, HostView, StageView } from './flow-model.js';
export type { PngOptions } from './flow-png.js';
export { layoutFlow, MAX_LANES } from './layout/flow-layout.js';
export { renderFlowSvg } from './flow-svg.js';

export function renderFlowPng(snapshot: FlowSnapshot, options?: PngOptions): Buffer {
  return svgToPng(renderFlowSvg(snapshot), options);
}
