import { HOST_STAGES } from '../../src/pipeline/stages.js';
import { describe, expect, it } from 'vitest';
import type { FlowSnapshot } from '../../src/render/flow-model.js';
import { renderFlowSvg } from '../../src/render/index.js';
import { STATE_STYLES, STATUS_STYLES } from '../../src/render/flow-theme.js';
import { downloadFailed, failedRun, fiftyServers, fiveServersRunning, host, oneServerSuccess, taskStages } from './support/fixtures.js';
import { findAll, parseXml, textContent, type XmlElement } from './support/mini-xml.js';

const texts = (root: XmlElement) => findAll(root, 'text').map(textContent);
const nodeRect = (root: XmlElement, id: string) => findAll(root, 'rect').find((r) => r.attrs['data-node'] === id);

const EVIL_NAME = '<b>&"\'</b>';
const evil = (): FlowSnapshot => ({
  title: '<script>alert("pwned")</script> & co',
  subtitle: 'line one\nline two\u0007\u202Egnp.exe',
  status: 'failed',
  taskStages: taskStages(),
  hosts: [
    host(EVIL_NAME, 'switch', 'failed', { error: '<script>fetch("//evil")</script> ]]> &amp; \u0000' }),
    host('ok-1', 'all'),
  ],
  done: { state: 'failed' },
});

describe('renderFlowSvg', () => {
  it.each([
    ['1 server', oneServerSuccess],
    ['5 servers', fiveServersRunning],
    ['50 servers', fiftyServers],
    ['failed run', failedRun],
    ['task failed', () => downloadFailed()],
    ['hostile text', evil],
  ])('%s: is well-formed XML with an <svg> root sized like its viewBox', (_, make) => {
    const root = parseXml(renderFlowSvg(make()));
    expect(root.name).toBe('svg');
    expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    expect(root.attrs.viewBox).toBe(`0 0 ${root.attrs.width} ${root.attrs.height}`);
    expect(Number(root.attrs.width)).toBeLessThanOrEqual(1600);
    expect(root.attrs['font-family']).toContain('DejaVu Sans');
  });

  it('draws where each server got its copy from (the relay chain) and its throughput under its name', () => {
    const snap = fiveServersRunning();
    snap.distribution = 'relay';
    snap.hosts = snap.hosts.map((h, i) => ({ ...h, source: i === 0 ? 'bot' : snap.hosts[i - 1]!.name.slice(0, 6), bytesPerSec: 11_800_000 }));
    const texts = findAll(parseXml(renderFlowSvg(snap)), 'text').map(textContent);
    expect(texts).toContain('11.8 MB/s ← bot');
    expect(texts).toContain('11.8 MB/s ← web-01');
    // Without sources (direct fan-out of old), nothing is added.
    expect(findAll(parseXml(renderFlowSvg(fiveServersRunning())), 'text').map(textContent).some((t) => t.includes('←'))).toBe(false);
  });

  it('escapes markup in titles, server names and errors: it stays text, never becomes elements', () => {
    const svg = renderFlowSvg(evil());
    const root = parseXml(svg);
    expect(svg).not.toMatch(/<script|<b>/i);
    expect(findAll(root, 'script')).toHaveLength(0);
    expect(findAll(root, 'b')).toHaveLength(0);
    const all = texts(root);
    expect(all).toContain(EVIL_NAME);
    expect(all).toContain('<script>alert("pwned")</script> & co');
    expect(all.find((t) => t.includes('<script>fetch("//evil")</script> ]]> &amp;'))).toBeDefined();
    expect(findAll(root, 'title')[0]!.text).toBe('<script>alert("pwned")</script> & co');
  });

  it('drops control and bidi characters and folds newlines', () => {
    const svg = renderFlowSvg(evil());
    // eslint-disable-next-line no-control-regex
    expect(svg).not.toMatch(/[\u0000\u0007\u202E]/);
    expect(texts(parseXml(svg))).toContain('line one line twognp.exe');
  });

  it('colours each node by its state', () => {
    const root = parseXml(renderFlowSvg(failedRun()));
    expect(nodeRect(root, 'task:start')!.attrs.fill).toBe(STATE_STYLES.done.fill);
    expect(nodeRect(root, 'host:1:before_deploy')!.attrs.fill).toBe(STATE_STYLES.failed.fill);
    expect(nodeRect(root, 'host:1:switch')!.attrs.fill).toBe(STATE_STYLES.waiting.fill);
    const skipped = nodeRect(root, 'host:0:switch')!;
    expect(skipped.attrs.fill).toBe(STATE_STYLES.skipped.fill);
    expect(skipped.attrs['stroke-dasharray']).toBeDefined();
    const running = parseXml(renderFlowSvg(fiveServersRunning()));
    expect(nodeRect(running, 'host:2:before_deploy')!.attrs.fill).toBe(STATE_STYLES.running.fill);
    // Every state has its own fill.
    expect(new Set(Object.values(STATE_STYLES).map((s) => s.fill)).size).toBe(5);
  });

  it('draws a legend with one swatch per state', () => {
    const root = parseXml(renderFlowSvg(oneServerSuccess()));
    for (const [state, style] of Object.entries(STATE_STYLES)) {
      expect(nodeRect(root, `legend:${state}`)!.attrs.fill).toBe(style.fill);
      expect(texts(root)).toContain(`${style.glyph} ${style.word}`);
    }
  });

  it('shows title, status badge, durations and the error line', () => {
    const root = parseXml(renderFlowSvg(failedRun()));
    const all = texts(root);
    expect(all).toContain('deploy #1289 · billing v0.9.3 → staging');
    expect(all).toContain('FAILED');
    expect(findAll(root, 'rect').find((r) => r.attrs['data-status'] === 'failed')!.attrs.fill).toBe(STATUS_STYLES.failed.fill);
    expect(all).toContain('✗ 41.2s');
    expect(all.filter((t) => /^✓ \d+(\.\d)?(ms|s)$/.test(t)).length).toBeGreaterThan(5);
    expect(all.find((t) => t.startsWith("✗ before deploy: hook 'before_deploy' exited 2"))).toBeDefined();
  });

  it('edges carry arrowheads and are dark once the flow has reached their target', () => {
    const root = parseXml(renderFlowSvg(fiveServersRunning()));
    const edges = findAll(root, 'path').filter((p) => p.attrs['data-edge']);
    expect(edges.length).toBe(4 + 5 * (HOST_STAGES.length + 1));
    expect(edges.every((e) => e.attrs['marker-end']?.startsWith('url(#arrow-'))).toBe(true);
    const active = edges.find((e) => e.attrs['data-edge'] === 'host:0:upload>host:0:before_deploy')!;
    const idle = edges.find((e) => e.attrs['data-edge'] === 'host:2:before_deploy>host:2:switch')!;
    expect(active.attrs['marker-end']).toBe('url(#arrow-active)');
    expect(idle.attrs['marker-end']).toBe('url(#arrow-idle)');
  });
});
