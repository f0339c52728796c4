import { describe, expect, it } from 'vitest';
import { HOST_STAGES, TASK_STAGES } from '../../src/pipeline/stages.js';
import type { FlowSnapshot } from '../../src/render/flow-model.js';
import { MAX_FAILURE_ROWS } from '../../src/render/layout/flow-layout-failures.js';
import { MAX_LANES, layoutFlow } from '../../src/render/layout/flow-layout.js';
import type { Scene } from '../../src/render/flow-scene.js';
import { textWidth } from '../../src/render/text-metrics.js';
import { downloadFailed, failedRun, fiftyServers, fiftyServersFailedBeforeBarrier, fiveServersRunning, host, oneServerSuccess, taskStages, webHosts } from './support/fixtures.js';
import { collisions, contains, overlaps, solids, textString } from './support/geometry.js';

function withHosts(count: number, make = (name: string, i: number) => host(name, i % 2 === 0 ? 'all' : 'switch', 'running')): FlowSnapshot {
  return {
    title: `deploy · ${count} servers`,
    status: 'running',
    taskStages: taskStages(),
    hosts: webHosts(count).map(make),
    done: { state: 'waiting' },
  };
}

const hostile = (): FlowSnapshot => ({
  ...withHosts(3),
  title: 'x'.repeat(300),
  subtitle: 'y '.repeat(300),
  hosts: [
    host('<script>alert("x")</script>&\'' + 'z'.repeat(80), 'switch', 'failed', { error: 'e'.repeat(1000) }),
    host('数据库服务器-主节点-一号机房-非常长的名字', 'all'),
    host('W'.repeat(60), 'upload', 'running'),
  ],
});

const CASES: Array<[string, () => FlowSnapshot]> = [
  ['1 server', oneServerSuccess],
  ['5 servers', fiveServersRunning],
  ['12 servers', () => withHosts(12)],
  ['13 servers', () => withHosts(13)],
  ['50 servers', fiftyServers],
  ['300 servers, a third failed', () => withHosts(300, (name, i) => host(name, 'upload', i % 3 ? 'done' : 'failed', { error: `disk ${i % 7}` }))],
  ['failed run', failedRun],
  ['task stage failed', () => downloadFailed(3)],
  ['task stage failed, 40 servers', () => downloadFailed(40)],
  ['no servers yet', () => withHosts(0)],
  ['hostile text', hostile],
];

describe('layoutFlow geometry', () => {
  it.each(CASES)('%s: no two nodes, badges or texts overlap', (_, make) => {
    expect(collisions(solids(layoutFlow(make())))).toEqual([]);
  });

  it.each(CASES)('%s: everything lies inside a canvas at most 1600 px wide', (_, make) => {
    const scene = layoutFlow(make());
    expect(scene.width).toBeLessThanOrEqual(1600);
    const canvas = { x: 0, y: 0, w: scene.width, h: scene.height };
    for (const item of [...solids(scene), ...scene.panels.map((p) => ({ what: p.id, box: p.box }))]) {
      expect(contains(canvas, item.box), item.what).toBe(true);
    }
  });

  it.each(CASES)('%s: text inside a node or panel stays inside it', (_, make) => {
    const scene = layoutFlow(make());
    for (const node of scene.nodes) {
      for (const line of node.lines) expect(contains(node.box, line.box), `${node.id}: ${textString(line)}`).toBe(true);
      for (const segment of node.bar ?? []) expect(contains(node.box, segment.box), node.id).toBe(true);
    }
    for (const text of scene.texts) {
      for (const panel of scene.panels) {
        const anchored = contains(panel.box, { x: text.box.x, y: text.box.y, w: 0, h: text.box.h });
        if (anchored) expect(contains(panel.box, text.box), `${panel.id}: ${textString(text)}`).toBe(true);
      }
    }
  });

  it.each(CASES)('%s: edges run through empty space', (_, make) => {
    const scene = layoutFlow(make());
    for (const edge of scene.edges) {
      const box = {
        x: Math.min(edge.x1, edge.x2),
        y: Math.min(edge.y1, edge.y2) - 4,
        w: Math.abs(edge.x2 - edge.x1),
        h: Math.abs(edge.y2 - edge.y1) + 8, // arrowhead height
      };
      for (const item of solids(scene)) {
        if (item.what === `node ${edge.from}` || item.what === `node ${edge.to}`) continue;
        expect(overlaps(box, item.box), `${edge.from} → ${edge.to} crosses ${item.what}`).toBe(false);
      }
    }
  });

  it.each(CASES)('%s: lanes do not overlap each other', (_, make) => {
    // The barrier and the switch band cross every lane on purpose: only the lanes themselves count.
    const lanes = layoutFlow(make()).panels.filter((p) => p.role === 'lane' || p.role === 'lane-failed');
    expect(collisions(lanes.map((p) => ({ what: p.id, box: p.box })))).toEqual([]);
  });
});

const byShape = (scene: Scene, shape: string) => scene.nodes.filter((node) => node.shape === shape);
const lanes = (scene: Scene) => scene.panels.filter((p) => p.role === 'lane' || p.role === 'lane-failed');

describe('barrier and fleet-wide switch', () => {
  it.each([
    ['lanes', fiveServersRunning],
    ['summary', fiftyServers],
  ] as const)('%s: a barrier before the switch column and a band around it, across every server', (_, make) => {
    const scene = layoutFlow(make());
    const barrier = scene.panels.find((p) => p.id === 'barrier')!;
    const band = scene.panels.find((p) => p.id === 'switch-band')!;
    const flowNode = (n: { id: string }) => n.id.startsWith('host:') || n.id.startsWith('summary:');
    const switches = scene.nodes.filter((n) => flowNode(n) && n.id.endsWith(':switch'));
    const befores = scene.nodes.filter((n) => flowNode(n) && n.id.endsWith(':before_deploy'));
    expect(switches.length).toBeGreaterThan(0);
    for (const node of switches) expect(contains(band.box, node.box)).toBe(true);
    for (const node of befores) expect(node.box.x + node.box.w).toBeLessThanOrEqual(barrier.box.x);
    for (const node of switches) expect(node.box.x).toBeGreaterThanOrEqual(barrier.box.x + barrier.box.w);
  });

  it('prints the skew once the switch happened, and says it is fleet-wide before', () => {
    expect(layoutFlow(fiftyServers()).texts.map(textString)).toContain('fleet-wide switch · 50/50 servers · skew 38ms');
    expect(layoutFlow(fiveServersRunning()).texts.map(textString)).toContain('fleet-wide switch: all servers at once');
  });
});

describe('layoutFlow structure', () => {
  it.each([1, 5, MAX_LANES])('%i servers: one lane per server, each with its 4 stage nodes', (count) => {
    const scene = layoutFlow(withHosts(count));
    expect(scene.mode).toBe('lanes');
    expect(lanes(scene)).toHaveLength(count);
    expect(byShape(scene, 'stage')).toHaveLength(TASK_STAGES.length + HOST_STAGES.length * count);
    expect(byShape(scene, 'final')).toHaveLength(1);
    expect(byShape(scene, 'swatch')).toHaveLength(5);
    // task chain + per lane: fan-out, 3 links, fan-in
    expect(scene.edges).toHaveLength(TASK_STAGES.length - 1 + count * (2 + HOST_STAGES.length - 1));
  });

  it('one server: the whole flow is one straight line', () => {
    const scene = layoutFlow(oneServerSuccess());
    const centers = new Set(scene.edges.map((e) => [e.y1, e.y2]).flat().map((y) => Math.round(y)));
    expect(centers.size).toBe(1);
  });

  it.each([MAX_LANES + 1, 50, 300])('%i servers: summary nodes per stage and a grid cell per server and stage', (count) => {
    const scene = layoutFlow(withHosts(count));
    expect(scene.mode).toBe('summary');
    expect(lanes(scene)).toHaveLength(0);
    expect(byShape(scene, 'summary').map((n) => n.id)).toEqual(HOST_STAGES.map((s) => `summary:${s}`));
    expect(byShape(scene, 'cell')).toHaveLength(count * HOST_STAGES.length);
    const names = new Set(webHosts(count));
    expect(scene.texts.filter((t) => names.has(textString(t)))).toHaveLength(count);
  });

  it('50 servers: counts on the summary nodes add up, and the failed servers are named', () => {
    const scene = layoutFlow(fiftyServersFailedBeforeBarrier());
    const upload = scene.nodes.find((n) => n.id === 'summary:upload')!;
    expect(upload.state).toBe('failed');
    expect(textString(upload.lines[1]!)).toBe('✗ 1   ✓ 49');
    // The barrier held: no server switched.
    expect(scene.nodes.find((n) => n.id === 'summary:switch')!.state).toBe('skipped');
    const all = scene.texts.map(textString);
    expect(all).toContain('✗ Failed on 2 of 50 servers');
    expect(all.filter((t) => t === 'web-07.prod.eu-west-1' || t === 'web-32.prod.eu-west-1')).toHaveLength(4); // panel + grid
  });

  it('identical failures share a line, and the list is capped', () => {
    const same = layoutFlow(withHosts(40, (name) => host(name, 'upload', 'failed', { error: 'disk full' })));
    expect(same.texts.map(textString)).toContain('40 servers');
    const varied = layoutFlow(withHosts(40, (name, i) => host(name, 'upload', 'failed', { error: `error ${i}` })));
    const panel = varied.panels.find((p) => p.id === 'failures')!;
    const listed = varied.texts.filter((t) => contains(panel.box, t.box) && textString(t).startsWith('web-'));
    expect(listed).toHaveLength(MAX_FAILURE_ROWS);
    expect(varied.texts.map(textString)).toContain(`… and ${40 - MAX_FAILURE_ROWS} more kinds of failure (failed servers are red in the list below)`);
  });

  it('a failed task stage gets an error strip under the task row', () => {
    const scene = layoutFlow(downloadFailed());
    const strip = scene.panels.find((p) => p.id === 'task-error')!;
    expect(scene.texts.map(textString)).toContain("✗ download: git fetch origin: fatal: couldn't find remote ref refs/heads/release/2.14");
    const download = scene.nodes.find((n) => n.id === 'task:download')!;
    expect(strip.box.y).toBeGreaterThan(download.box.y + download.box.h);
  });

  it('a failed server gets a red lane with its stage and error', () => {
    const scene = layoutFlow(failedRun());
    expect(scene.panels.filter((p) => p.role === 'lane-failed').map((p) => p.id)).toEqual(['lane:1']);
    expect(scene.texts.map(textString).find((t) => t.startsWith('✗ before deploy: hook'))).toBeDefined();
  });

  it('long names and messages are cut with an ellipsis to fit their column', () => {
    const scene = layoutFlow(hostile());
    const cut = scene.texts.map(textString).filter((t) => t.endsWith('…'));
    expect(cut.find((t) => t.startsWith('<script>alert('))).toBeDefined();
    expect(cut.find((t) => t.startsWith('xxxx'))).toBeDefined();
    expect(cut.find((t) => t.startsWith('✗ switch: eeee'))).toBeDefined();
    const name = scene.texts.find((t) => textString(t).startsWith('WWW'))!;
    expect(textWidth(textString(name), name.size, name.bold)).toBeLessThanOrEqual(184);
  });

  it('the image grows with the server count, but slowly once summarised', () => {
    const heights = [1, 2, 5, 12, 13, 50, 100, 300].map((n) => layoutFlow(withHosts(n)).height);
    for (let i = 1; i < heights.length; i++) {
      if (i !== 4) expect(heights[i]!).toBeGreaterThanOrEqual(heights[i - 1]!);
    }
    const [one, , five, twelve, thirteen, fifty] = heights;
    expect(one).toBeLessThan(300);
    expect(five).toBeLessThan(700);
    expect(twelve).toBeLessThan(1250); // about a laptop screen
    expect(thirteen).toBeLessThan(twelve!); // summary mode is more compact
    expect(fifty).toBeLessThan(900);
  });

  it('is deterministic', () => {
    expect(layoutFlow(fiftyServers())).toEqual(layoutFlow(fiftyServers()));
  });
});

describe('geometry helpers', () => {
  it('report overlapping boxes and accept touching ones', () => {
    const a = { what: 'a', box: { x: 0, y: 0, w: 10, h: 10 } };
    const touching = { what: 'b', box: { x: 10, y: 0, w: 10, h: 10 } };
    const crossing = { what: 'c', box: { x: 5, y: 5, w: 10, h: 10 } };
    expect(collisions([a, touching])).toEqual([]);
    expect(collisions([a, touching, crossing])).toEqual(['a × c', 'b × c']);
  });
});
