/**
 * The layout's output and the SVG painter's input: every box, line of text and edge with its final
 * coordinates. All geometry is decided here, before drawing, so tests can check it (nothing
 * overlaps, nothing leaves the canvas) without rasterising, and the painter stays a dumb loop.
 *
 * Text in a scene is already cleaned and truncated to fit; the painter only escapes it.
 */
import type { StageState } from '../pipeline/stages.js';
import type { FlowStatus } from './flow-model.js';
import { fitText, textWidth } from './text-metrics.js';

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** How a piece of text is coloured: a named ink, or a state's ink (its colour on white). */
export type Tone = 'strong' | 'normal' | 'muted' | 'danger' | 'inverse' | 'on-fill' | StageState;

export interface TextSpan {
  text: string;
  tone: Tone;
}

export interface SceneText {
  /** Anchor point: x per `anchor`, y is the baseline. */
  x: number;
  y: number;
  size: number;
  bold: boolean;
  anchor: 'start' | 'middle' | 'end';
  spans: TextSpan[];
  /** Estimated ink extent (ascender to descender), for overlap checks. */
  box: Box;
}

export type NodeShape = 'stage' | 'final' | 'summary' | 'cell' | 'swatch';

export interface SceneNode {
  id: string;
  shape: NodeShape;
  state: StageState;
  box: Box;
  /** Text drawn inside the node (already fitted to it). */
  lines: SceneText[];
  /** For summary nodes: a stacked bar of how many servers are in each state. */
  bar?: Array<{ box: Box; state: StageState }>;
}

export interface SceneEdge {
  from: string;
  to: string;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  /** Curved edges fan out/in between rows; straight ones link neighbours on one row. */
  curved: boolean;
  /** The flow has reached the target (it is not waiting): drawn dark, else pale. */
  active: boolean;
}

/** Backgrounds that group things: a server's lane, an error strip, a section. */
export interface ScenePanel {
  id: string;
  role: 'lane' | 'lane-failed' | 'error' | 'barrier' | 'switch-band';
  box: Box;
}

/** The status badge. */
export interface SceneBadge {
  status: FlowStatus;
  box: Box;
  text: SceneText;
}

export interface Scene {
  /** Plain title, for the SVG's <title> (screen readers, file previews). */
  title: string;
  width: number;
  height: number;
  /** 'lanes': one row per server; 'summary': one node per host stage plus a server grid. */
  mode: 'lanes' | 'summary';
  panels: ScenePanel[];
  edges: SceneEdge[];
  nodes: SceneNode[];
  badges: SceneBadge[];
  /** Free text: title, durations, errors, headings, legend, names. */
  texts: SceneText[];
}

// DejaVu Sans ascent and descent (em), used for text boxes.
const ASCENT = 0.93;
const DESCENT = 0.24;

export interface TextOptions {
  size: number;
  bold?: boolean;
  anchor?: SceneText['anchor'];
  /** Truncate with an ellipsis to this width. Applies to the last span only (the variable part). */
  maxWidth?: number;
}

/**
 * A positioned text item from one or more spans. With `maxWidth`, the last span is shortened so
 * the whole fits: earlier spans are short fixed prefixes like "✗ switch: ".
 */
export function makeText(x: number, y: number, spans: TextSpan[], options: TextOptions): SceneText {
  const { size, bold = false, anchor = 'start', maxWidth } = options;
  let fitted = spans.filter((span) => span.text.length > 0);
  if (maxWidth !== undefined && fitted.length > 0) {
    const head = fitted.slice(0, -1);
    const last = fitted[fitted.length - 1]!;
    const headWidth = textWidth(head.map((s) => s.text).join(''), size, bold);
    fitted = [...head, { ...last, text: fitText(last.text, Math.max(0, maxWidth - headWidth), size, bold) }];
  }
  const width = textWidth(fitted.map((s) => s.text).join(''), size, bold);
  const left = anchor === 'start' ? x : anchor === 'middle' ? x - width / 2 : x - width;
  return {
    x,
    y,
    size,
    bold,
    anchor,
    spans: fitted,
    box: { x: left, y: y - ASCENT * size, w: width, h: (ASCENT + DESCENT) * size },
  };
}

/** Shorthand for a single-span text. */
export function simpleText(x: number, y: number, text: string, tone: Tone, options: TextOptions): SceneText {
  return makeText(x, y, [{ text, tone }], options);
}

/** Baseline that centres a line of `size` px text vertically on `centerY`. */
export function centeredBaseline(centerY: number, size: number): number {
  return centerY + ((ASCENT - DESCENT) / 2) * size;
}

/** Height a line of text occupies. */
export function lineHeight(size: number): number {
  return (ASCENT + DESCENT) * size;
}
