/**
 * Scene → SVG string. All geometry was decided by the layout; this file only chooses colours and
 * writes markup. Every piece of text goes through escapeXml: server names and error messages are
 * user input, and the SVG may be opened in a browser as well as rasterised.
 */
import type { StageState } from '../pipeline/stages.js';
import type { FlowSnapshot } from './flow-model.js';
import { layoutFlow } from './layout/flow-layout.js';
import type { Scene, SceneEdge, SceneNode, ScenePanel, SceneText, Tone } from './flow-scene.js';
import { INK, STATE_STYLES, STATUS_STYLES } from './flow-theme.js';
import { escapeXml } from './text-safety.js';
import { FONT_FAMILY } from './text-metrics.js';

export function renderFlowSvg(snapshot: FlowSnapshot): string {
  return sceneToSvg(layoutFlow(snapshot));
}

export function sceneToSvg(scene: Scene): string {
  const { width, height } = scene;
  const out: string[] = [
    // xml:space="preserve" keeps the runs of spaces that separate counts ("✗ 2   ✓ 47").
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="${escapeXml(FONT_FAMILY)}" xml:space="preserve">`,
    `<title>${escapeXml(scene.title)}</title>`,
    '<defs>',
    arrowMarker('arrow-active', INK.edgeActive),
    arrowMarker('arrow-idle', INK.edgeIdle),
    '</defs>',
    `<rect width="${width}" height="${height}" fill="${INK.background}"/>`,
  ];
  out.push(...scene.panels.map(panel));
  // Idle edges first so active ones draw on top where a fan converges.
  const edges = [...scene.edges].sort((a, b) => Number(a.active) - Number(b.active));
  out.push(...edges.map(edge));
  for (const n of scene.nodes) out.push(...node(n));
  for (const badge of scene.badges) {
    const { box } = badge;
    out.push(`<rect data-status="${badge.status}" ${boxAttrs(box)} rx="${n(box.h / 2)}" fill="${STATUS_STYLES[badge.status].fill}"/>`, text(badge.text));
  }
  out.push(...scene.texts.map((t) => text(t)));
  out.push('</svg>');
  return out.join('\n');
}

function arrowMarker(id: string, color: string): string {
  return (
    `<marker id="${id}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" ` +
    `markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="${color}"/></marker>`
  );
}

/** Round to 0.1 px: plenty for a raster, and keeps the markup short. */
function n(value: number): string {
  return String(Math.round(value * 10) / 10);
}

function boxAttrs(box: { x: number; y: number; w: number; h: number }): string {
  return `x="${n(box.x)}" y="${n(box.y)}" width="${n(box.w)}" height="${n(box.h)}"`;
}

const PANEL_STYLES: Readonly<Record<ScenePanel['role'], { fill: string; stroke: string; rx: number }>> = {
  lane: { fill: INK.laneFill, stroke: INK.laneStroke, rx: 10 },
  'lane-failed': { fill: INK.dangerFill, stroke: INK.dangerStroke, rx: 10 },
  error: { fill: STATE_STYLES.failed.tint, stroke: INK.dangerStroke, rx: 6 },
  barrier: { fill: INK.edgeActive, stroke: INK.edgeActive, rx: 1 },
  'switch-band': { fill: 'none', stroke: INK.muted, rx: 8 },
};

function panel(p: ScenePanel): string {
  const style = PANEL_STYLES[p.role];
  return `<rect data-panel="${escapeXml(p.id)}" ${boxAttrs(p.box)} rx="${style.rx}" fill="${style.fill}" stroke="${style.stroke}"/>`;
}

function edge(e: SceneEdge): string {
  const color = e.active ? INK.edgeActive : INK.edgeIdle;
  const marker = e.active ? 'arrow-active' : 'arrow-idle';
  let d = `M${n(e.x1)},${n(e.y1)} L${n(e.x2)},${n(e.y2)}`;
  if (e.curved) {
    // Horizontal tangents at both ends: the edge leaves and enters its boxes head-on.
    const mid = (e.x1 + e.x2) / 2;
    d = `M${n(e.x1)},${n(e.y1)} C${n(mid)},${n(e.y1)} ${n(mid)},${n(e.y2)} ${n(e.x2)},${n(e.y2)}`;
  }
  return `<path data-edge="${escapeXml(`${e.from}>${e.to}`)}" d="${d}" fill="none" stroke="${color}" stroke-width="1.5" marker-end="url(#${marker})"/>`;
}

/** Bars need visible waiting/skipped segments on a pale node, so those are darker than node fills. */
const BAR_FILLS: Readonly<Record<StageState, string>> = {
  waiting: '#d0d7de',
  running: STATE_STYLES.running.fill,
  done: STATE_STYLES.done.fill,
  failed: STATE_STYLES.failed.fill,
  skipped: '#afb8c1',
};

function node(nd: SceneNode): string[] {
  const style = STATE_STYLES[nd.state];
  const dash = style.dashed ? ` stroke-dasharray="${nd.shape === 'cell' ? '3 2' : '5 3'}"` : '';
  // data-* attributes name each shape: renderers ignore them, tests and curious humans use them.
  const data = `data-node="${escapeXml(nd.id)}" data-state="${nd.state}"`;
  const out: string[] = [];
  switch (nd.shape) {
    case 'summary':
      out.push(`<rect ${data} ${boxAttrs(nd.box)} rx="8" fill="${style.tint}" stroke="${style.stroke}" stroke-width="2"${dash}/>`);
      break;
    case 'final':
      out.push(`<rect ${data} ${boxAttrs(nd.box)} rx="${n(nd.box.h / 2)}" fill="${style.fill}" stroke="${style.stroke}" stroke-width="1.5"${dash}/>`);
      break;
    case 'cell':
      out.push(`<rect ${data} ${boxAttrs(nd.box)} rx="2" fill="${style.fill}" stroke="${style.stroke}"${dash}/>`);
      break;
    case 'swatch':
      out.push(`<rect ${data} ${boxAttrs(nd.box)} rx="3" fill="${style.fill}" stroke="${style.stroke}"${dash}/>`);
      break;
    default:
      out.push(`<rect ${data} ${boxAttrs(nd.box)} rx="8" fill="${style.fill}" stroke="${style.stroke}" stroke-width="1.5"${dash}/>`);
  }
  for (const segment of nd.bar ?? []) out.push(`<rect ${boxAttrs(segment.box)} fill="${BAR_FILLS[segment.state]}"/>`);
  for (const line of nd.lines) out.push(text(line, nd.state));
  return out;
}

function toneColor(tone: Tone, nodeState?: StageState): string {
  switch (tone) {
    case 'strong':
    case 'normal':
    case 'muted':
    case 'danger':
    case 'inverse':
      return INK[tone];
    case 'on-fill':
      return nodeState === undefined ? INK.strong : STATE_STYLES[nodeState].onFill;
    default:
      return STATE_STYLES[tone].ink;
  }
}

function text(t: SceneText, nodeState?: StageState): string {
  const attrs =
    `x="${n(t.x)}" y="${n(t.y)}" font-size="${t.size}"` +
    (t.bold ? ' font-weight="bold"' : '') +
    (t.anchor === 'start' ? '' : ` text-anchor="${t.anchor}"`);
  const [only, ...more] = t.spans;
  if (only !== undefined && more.length === 0) {
    return `<text ${attrs} fill="${toneColor(only.tone, nodeState)}">${escapeXml(only.text)}</text>`;
  }
  const spans = t.spans.map((s) => `<tspan fill="${toneColor(s.tone, nodeState)}">${escapeXml(s.text)}</tspan>`).join('');
  return `<text ${attrs}>${spans}</text>`;
}
