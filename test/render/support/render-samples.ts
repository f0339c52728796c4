/**
 * Renders the sample flow snapshots into docs/images, to look at after changing the renderer:
 *   npx tsx test/render/support/render-samples.ts [outDir]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderFlowPng } from '../../../src/render/index.js';
import { failedRun, fiftyServers, fiftyServersFailedBeforeBarrier, fiveServersRunning, oneServerSuccess } from './fixtures.js';

const outDir = process.argv[2] ?? join(import.meta.dirname, '../../docs/images');
mkdirSync(outDir, { recursive: true });

const samples = {
  'flow-1-server.png': oneServerSuccess(),
  'flow-5-servers.png': fiveServersRunning(),
  'flow-50-servers.png': fiftyServers(),
  'flow-50-servers-failed.png': fiftyServersFailedBeforeBarrier(),
  'flow-failed.png': failedRun(),
};

for (const [file, snapshot] of Object.entries(samples)) {
  const started = performance.now();
  const png = renderFlowPng(snapshot);
  const path = join(outDir, file);
  writeFileSync(path, png);
  const ms = Math.round(performance.now() - started);
  console.log(`${path}: ${png.readUInt32BE(16)}×${png.readUInt32BE(20)} px, ${png.length} bytes, ${ms} ms`);
}
