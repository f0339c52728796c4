import type { DeliveryEvent, FleetDelivery, FleetHost } from '../distribution/distributor.js';
import type { Artifact } from '../release/package-artifact.js';
import { peerAddressOf } from '../distribution/peer-address.js';
import { errorText, type RunContext } from './run-context.js';

/**
 * Starts the upload stage's distribution over every connected server: the distributor sees the
 * whole fleet (so servers can feed each other) and reports sources and rates as pipeline events.
 */
export async function startDelivery(ctx: RunContext, artifact: Artifact): Promise<FleetDelivery> {
  const fleet: FleetHost[] = ctx.hosts
    .filter((h) => h.conn)
    .map((h) => ({ name: h.name, conn: h.conn!, peerAddress: peerAddressOf(h.planned.internalAddress, h.planned.target.host, h.planned.target.port) }));
  const project = ctx.plan.project;
  const onEvent = (e: DeliveryEvent) => {
    if (e.type === 'source') ctx.emit({ type: 'host.source', host: e.host, source: e.source.kind === 'bot' ? 'bot' : e.source.name, offset: e.offset });
    else if (e.type === 'progress') {
      ctx.emit({ type: 'progress', host: e.host, bytes: e.bytes, totalBytes: artifact.bytes, bytesPerSec: e.bytesPerSec });
      ctx.recorder.touch();
    } else ctx.emit({ type: 'distribution.note', host: e.host, message: e.message });
  };
  const delivery = await ctx.deps.distributor.start(fleet, artifact, {
    taskId: ctx.plan.taskId,
    projectId: project.id,
    deployPath: project.deployPath,
    maxParallel: project.maxParallel,
    strategy: project.distribution ?? 'auto',
    signal: ctx.signal,
    onEvent,
    warn: (message, fields) => ctx.deps.log.warn(message, { taskId: ctx.plan.taskId, ...fields }),
  });
  ctx.emit({ type: 'distribution.started', strategy: delivery.strategy });
  return delivery;
}

/** Ends the stage's distribution on every server; trouble is logged, never fails the deploy. */
export async function closeDelivery(ctx: RunContext, delivery: FleetDelivery): Promise<void> {
  await delivery.close().catch((err) => ctx.deps.log.warn('could not end the distribution cleanly', { taskId: ctx.plan.taskId, error: errorText(err) }));
}
