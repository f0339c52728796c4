/**
 * The frame around the flow: a header (title, status badge, subtitle, per-server tally) and a
 * footer (legend, timestamp). The header comes first because a Slack thread shows the image
 * scaled down: the title, the coloured badge and "✗ 2" must read even at thumbnail size.
 */
import type { StageState } from '../../pipeline/stages.js';
import { hostState, emptyCounts, type FlowSnapshot } from '../flow-model.js';
import { centeredBaseline, makeText, simpleText, type SceneBadge, type SceneNode, type SceneText, type TextSpan } from '../flow-scene.js';
import { STATE_ORDER, STATE_STYLES, STATUS_STYLES } from '../flow-theme.js';
import { MARGIN, SMALL_SIZE } from './flow-layout-parts.js';
import { cleanText } from '../text-safety.js';
import { textWidth } from '../text-metrics.js';

const TITLE_SIZE = 20;
const SUBTITLE_SIZE = 13;
const BADGE_SIZE = 13;
const BADGE_H = 26;

export interface HeaderParts {
  texts: SceneText[];
  badges: SceneBadge[];
  bottom: number;
}

export function layoutHeader(snapshot: FlowSnapshot, width: number): HeaderParts {
  const right = width - MARGIN;

  const status = STATUS_STYLES[snapshot.status];
  const badgeW = textWidth(status.label, BADGE_SIZE, true) + 24;
  const badgeBox = { x: right - badgeW, y: MARGIN - 4, w: badgeW, h: BADGE_H };
  const badgeText = simpleText(badgeBox.x + badgeW / 2, centeredBaseline(badgeBox.y + BADGE_H / 2, BADGE_SIZE), status.label, 'inverse', {
    size: BADGE_SIZE,
    bold: true,
    anchor: 'middle',
  });

  const titleBaseline = MARGIN + 15;
  const title = simpleText(MARGIN, titleBaseline, cleanText(snapshot.title), 'strong', {
    size: TITLE_SIZE,
    bold: true,
    maxWidth: badgeBox.x - 24 - MARGIN,
  });

  const subtitleBaseline = titleBaseline + 26;
  const tally = makeText(right, subtitleBaseline, tallySpans(snapshot), { size: SUBTITLE_SIZE, anchor: 'end' });
  const texts = [title, tally];
  const subtitle = cleanText(snapshot.subtitle ?? '');
  if (subtitle !== '') {
    texts.push(
      simpleText(MARGIN, subtitleBaseline, subtitle, 'muted', {
        size: SUBTITLE_SIZE,
        maxWidth: tally.box.x - 24 - MARGIN,
      }),
    );
  }
  return { texts, badges: [{ status: snapshot.status, box: badgeBox, text: badgeText }], bottom: tally.box.y + tally.box.h };
}

/** "50 servers   ✗ 2   ▶ 1   ✓ 47": how many servers are in each overall state. */
function tallySpans(snapshot: FlowSnapshot): TextSpan[] {
  const n = snapshot.hosts.length;
  if (n === 0) return [{ text: 'no servers yet', tone: 'muted' }];
  const counts = emptyCounts();
  for (const host of snapshot.hosts) counts[hostState(host)]++;
  const spans: TextSpan[] = [{ text: n === 1 ? '1 server' : `${n} servers`, tone: 'normal' }];
  for (const state of STATE_ORDER) {
    if (counts[state] > 0) spans.push({ text: `   ${STATE_STYLES[state].glyph} ${counts[state]}`, tone: state });
  }
  return spans;
}

export interface FooterParts {
  nodes: SceneNode[];
  texts: SceneText[];
  bottom: number;
}

const LEGEND_ORDER: readonly StageState[] = ['waiting', 'running', 'done', 'failed', 'skipped'];
const SWATCH = 14;

/** Legend (swatch + glyph + word per state) on the left, timestamp on the right. */
export function layoutFooter(snapshot: FlowSnapshot, width: number, top: number): FooterParts {
  const nodes: SceneNode[] = [];
  const texts: SceneText[] = [];
  const baseline = centeredBaseline(top + SWATCH / 2, 12);
  let x = MARGIN;
  for (const state of LEGEND_ORDER) {
    const style = STATE_STYLES[state];
    nodes.push({ id: `legend:${state}`, shape: 'swatch', state, box: { x, y: top, w: SWATCH, h: SWATCH }, lines: [] });
    const label = makeText(
      x + SWATCH + 6,
      baseline,
      [
        { text: `${style.glyph} `, tone: state },
        { text: style.word, tone: 'normal' },
      ],
      { size: 12 },
    );
    texts.push(label);
    x = label.box.x + label.box.w + 22;
  }
  if (snapshot.generatedAt !== undefined && !Number.isNaN(snapshot.generatedAt.getTime())) {
    const stamp = snapshot.generatedAt.toISOString().slice(0, 19).replace('T', ' ');
    texts.push(simpleText(width - MARGIN, baseline, `generated ${stamp} UTC`, 'muted', { size: SMALL_SIZE, anchor: 'end' }));
  }
  return { nodes, texts, bottom: top + SWATCH };
}
