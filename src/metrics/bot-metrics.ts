import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DeployTask } from '../db/entities/index.js';
import type { Orm } from '../db/orm.js';
import type { PipelineEvents } from '../pipeline/events.js';

/** The shape of the Slack Web API client's fetch: called with a URL or string, and init. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type FetchFunction = (url: string | URL, init?: any) => Promise<{ status: number }>;

/**
 * What `/metrics` reports, in Prometheus text format. Counters follow this replica's pipeline
 * events and Slack calls; the queue and the leases are read from the database at each scrape, so
 * every replica reports the same queue and its own leases.
 */
export interface BotMetrics {
  registry: Registry;
  /** Wraps the Slack Web API client's fetch: counts calls by method, and 429s. */
  countingFetch<F extends FetchFunction>(inner?: F): F;
  /** Prometheus text for a scrape. */
  render(): Promise<string>;
  stop(): void;
}

export function createBotMetrics(deps: { orm: Orm; events: PipelineEvents; owner: string }): BotMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ replica: deps.owner });
  collectDefaultMetrics({ register: registry, prefix: 'deploybot_' });

  const deploys = new Counter({ name: 'deploybot_deploys_total', help: 'Tasks this replica finished, by result', labelNames: ['result'], registers: [registry] });
  const stages = new Histogram({
    name: 'deploybot_stage_duration_seconds',
    help: 'Duration of each pipeline stage, by stage and outcome',
    labelNames: ['stage', 'state'],
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900],
    registers: [registry],
  });
  const slackCalls = new Counter({ name: 'deploybot_slack_api_calls_total', help: 'Slack Web API calls, by method', labelNames: ['method'], registers: [registry] });
  const slackLimited = new Counter({ name: 'deploybot_slack_api_rate_limited_total', help: 'Slack Web API answers with HTTP 429, by method', labelNames: ['method'], registers: [registry] });
  new Gauge({
    name: 'deploybot_queue_length',
    help: 'Tasks approved (or scheduled and due) waiting for their project to be free, across all replicas',
    registers: [registry],
    async collect() {
      const now = new Date();
      this.set(await deps.orm.em.fork().count(DeployTask, { $or: [{ status: 'approved' }, { status: 'scheduled', scheduledAt: { $lte: now } }] }));
    },
  });
  new Gauge({
    name: 'deploybot_leases_held',
    help: 'Running tasks whose lease this replica holds',
    registers: [registry],
    async collect() {
      this.set(await deps.orm.em.fork().count(DeployTask, { status: 'running', ownerId: deps.owner, leaseExpiresAt: { $gt: new Date() } }));
    },
  });

  const off = deps.events.on((event) => {
    if (event.type === 'task.finished') deploys.inc({ result: event.status });
    else if (event.type === 'stage.finished') stages.observe({ stage: event.stage, state: event.state }, event.durationMs / 1000);
  });

  return {
    registry,
    countingFetch<F extends FetchFunction>(given?: F): F {
      const inner: FetchFunction = given ?? globalThis.fetch;
      const counted: FetchFunction = async (input, init) => {
        const url = typeof input === 'string' ? input : input.href;
        // Only the method name (the last path segment): never the query, which may carry a token.
        const method = /\/api\/([\w.]+)/.exec(new URL(url).pathname)?.[1] ?? 'upload';
        slackCalls.inc({ method });
        const res = await inner(input, init);
        if (res.status === 429) slackLimited.inc({ method });
        return res;
      };
      return counted as F;
    },
    render: () => registry.metrics(),
    stop: off,
  };
}
