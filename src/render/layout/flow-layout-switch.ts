/**
 * The barrier and the fleet-wide switch, drawn in both modes. The engine switches no server until
 * every server finished before_deploy (the barrier), then renames `current` on all of them at once
 * (the switch): a dark bar between the before_deploy and switch columns, a pale band behind the
 * switch column, and a caption under them with the switch's skew (first to last server switched),
 * once it is known.
 */
import type { FlowSnapshot } from '../flow-model.js';
import { SMALL_SIZE, emptyBody, type BodyParts } from './flow-layout-parts.js';
import { simpleText } from '../flow-scene.js';
import { formatDuration } from '../format-duration.js';

export const BARRIER_ID = 'barrier';
export const SWITCH_BAND_ID = 'switch-band';
const CAPTION_H = 18;

export interface SwitchColumns {
  /** Right edge of the before_deploy column and left edge of the switch column. */
  beforeRight: number;
  switchLeft: number;
  switchRight: number;
}

export function layoutFleetSwitch(snapshot: FlowSnapshot, columns: SwitchColumns, top: number, bottom: number): BodyParts {
  const body = emptyBody(bottom + CAPTION_H);
  const barrierX = (columns.beforeRight + columns.switchLeft) / 2;
  body.panels.push({ id: BARRIER_ID, role: 'barrier', box: { x: barrierX - 1.5, y: top - 4, w: 3, h: bottom - top + 8 } });
  body.panels.push({ id: SWITCH_BAND_ID, role: 'switch-band', box: { x: columns.switchLeft - 5, y: top - 4, w: columns.switchRight - columns.switchLeft + 10, h: bottom - top + 8 } });
  const baseline = bottom + 4 + SMALL_SIZE;
  body.texts.push(simpleText(barrierX - 6, baseline, 'barrier', 'muted', { size: SMALL_SIZE, anchor: 'end' }));
  const fleet = snapshot.fleetSwitch;
  const caption = fleet
    ? `fleet-wide switch · ${fleet.servers}/${fleet.of} servers · skew ${formatDuration(fleet.skewMs)}`
    : 'fleet-wide switch: all servers at once';
  body.texts.push(simpleText(columns.switchLeft - 5, baseline, caption, fleet ? 'strong' : 'muted', { size: SMALL_SIZE, bold: Boolean(fleet) }));
  return body;
}
