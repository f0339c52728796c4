/**
 * Slack's rate-limit tiers as a sliding window per method (docs.slack.dev/apis/web-api/rate-limits):
 * chat.update is Tier 3 (about 50 calls a minute per workspace); chat.postMessage allows about one
 * message a second per channel (short bursts tolerated). A call over the limit answers HTTP 429
 * with `Retry-After` (whole seconds) and `{ ok: false, error: 'ratelimited' }`.
 *
 * Tests shrink time with `windowMs` (50 calls per 6 s is Tier 3 at ten times the speed); the bot's
 * own pacing takes the same numbers from its config.
 */

export interface RateLimit {
  /** Calls allowed per window (per key: workspace, or channel for postMessage). */
  calls: number;
  windowMs: number;
  /** `workspace` (one budget) or `channel` (one per channel argument). */
  per: 'workspace' | 'channel';
}

export class RateLimiter {
  private readonly seen = new Map<string, number[]>();

  constructor(private readonly limits: Record<string, RateLimit>) {}

  /** Milliseconds until the call would be allowed, or 0 if it is (and then it is counted). */
  check(method: string, channel: string | undefined, now = Date.now()): number {
    const limit = this.limits[method];
    if (limit === undefined) return 0;
    const key = limit.per === 'channel' ? `${method}:${channel ?? ''}` : method;
    const times = (this.seen.get(key) ?? []).filter((t) => t > now - limit.windowMs);
    if (times.length >= limit.calls) {
      this.seen.set(key, times);
      return times[0]! + limit.windowMs - now;
    }
    times.push(now);
    this.seen.set(key, times);
    return 0;
  }
}

/** Slack's limits at real speed. */
export const SLACK_RATE_LIMITS: Record<string, RateLimit> = {
  'chat.update': { calls: 50, windowMs: 60_000, per: 'workspace' },
  'chat.postMessage': { calls: 60, windowMs: 60_000, per: 'channel' },
};
