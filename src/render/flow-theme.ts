/**
 * Colours, glyphs and words for states and statuses. State is never told by colour alone: each
 * state also has a glyph (shown next to durations, in the legend and in counts) so the image reads
 * for colour-blind people and in greyscale. Palette after GitHub Primer, whose greens/reds/blues
 * are chosen to stay distinguishable and to carry white text at AA contrast.
 */
import type { StageState } from '../pipeline/stages.js';
import type { FlowStatus } from './flow-model.js';

export interface StateStyle {
  /** Node fill. Solid for states that carry news (running/done/failed), pale for the rest. */
  fill: string;
  stroke: string;
  /** Text drawn on `fill`. */
  onFill: string;
  /** The state's colour for text and marks on a white background. */
  ink: string;
  /** Pale background for a summary node or a failed lane. */
  tint: string;
  dashed: boolean;
  glyph: string;
  word: string;
}

export const STATE_STYLES: Readonly<Record<StageState, StateStyle>> = {
  waiting: { fill: '#eaeef2', stroke: '#8c959f', onFill: '#424a53', ink: '#6e7781', tint: '#f6f8fa', dashed: false, glyph: '○', word: 'waiting' },
  running: { fill: '#0969da', stroke: '#0550ae', onFill: '#ffffff', ink: '#0969da', tint: '#ddf4ff', dashed: false, glyph: '▶', word: 'running' },
  done: { fill: '#1a7f37', stroke: '#116329', onFill: '#ffffff', ink: '#1a7f37', tint: '#dafbe1', dashed: false, glyph: '✓', word: 'done' },
  failed: { fill: '#cf222e', stroke: '#a40e26', onFill: '#ffffff', ink: '#cf222e', tint: '#ffebe9', dashed: false, glyph: '✗', word: 'failed' },
  skipped: { fill: '#ffffff', stroke: '#8c959f', onFill: '#6e7781', ink: '#6e7781', tint: '#ffffff', dashed: true, glyph: '↷', word: 'skipped' },
};

/** Legend and count order: the order a reader scans for trouble. */
export const STATE_ORDER: readonly StageState[] = ['failed', 'running', 'done', 'waiting', 'skipped'];

export const STATUS_STYLES: Readonly<Record<FlowStatus, { fill: string; label: string }>> = {
  pending: { fill: '#6e7781', label: 'PENDING' },
  awaiting_approval: { fill: '#9a6700', label: 'AWAITING APPROVAL' },
  running: { fill: '#0969da', label: 'RUNNING' },
  success: { fill: '#1a7f37', label: 'SUCCESS' },
  failed: { fill: '#cf222e', label: 'FAILED' },
  cancelled: { fill: '#57606a', label: 'CANCELLED' },
};

export const INK = {
  strong: '#1f2328',
  normal: '#424a53',
  muted: '#6e7781',
  danger: '#cf222e',
  inverse: '#ffffff',
  edgeActive: '#57606a',
  edgeIdle: '#c5ccd3',
  laneFill: '#f6f8fa',
  laneStroke: '#d0d7de',
  dangerFill: '#fff5f5',
  dangerStroke: '#ffcecb',
  background: '#ffffff',
} as const;

/** Stage names as people say them: "before_deploy" → "before deploy". */
export function stageLabel(stage: string): string {
  return stage.replace(/_/g, ' ');
}
