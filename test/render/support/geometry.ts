/** Box arithmetic for the layout tests. */
import type { Box, Scene, SceneText } from '../../../src/render/flow-scene.js';

/** True when the boxes share more than `slack` px in both directions (touching is fine). */
export function overlaps(a: Box, b: Box, slack = 0.5): boolean {
  return a.x < b.x + b.w - slack && b.x < a.x + a.w - slack && a.y < b.y + b.h - slack && b.y < a.y + a.h - slack;
}

export function contains(outer: Box, inner: Box, slack = 0.5): boolean {
  return (
    inner.x >= outer.x - slack &&
    inner.y >= outer.y - slack &&
    inner.x + inner.w <= outer.x + outer.w + slack &&
    inner.y + inner.h <= outer.y + outer.h + slack
  );
}

export interface Solid {
  what: string;
  box: Box;
}

export function textString(text: SceneText): string {
  return text.spans.map((span) => span.text).join('');
}

/** Everything that must not overlap anything else: nodes, badges and free text. */
export function solids(scene: Scene): Solid[] {
  return [
    ...scene.nodes.map((node) => ({ what: `node ${node.id}`, box: node.box })),
    ...scene.badges.map((badge) => ({ what: `badge ${badge.status}`, box: badge.box })),
    ...scene.texts.filter((text) => text.spans.length > 0).map((text) => ({ what: `text "${textString(text)}"`, box: text.box })),
  ];
}

/** Pairs of solids that overlap, described for a readable failure message. */
export function collisions(items: readonly Solid[]): string[] {
  const found: string[] = [];
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      if (overlaps(items[i]!.box, items[j]!.box)) found.push(`${items[i]!.what} × ${items[j]!.what}`);
    }
  }
  return found;
}
