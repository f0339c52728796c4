/**
 * One Slack budget for every task this process shows. Slack counts chat.update against Tier 3 per
 * workspace (about 50 a minute) and chat.postMessage at about one a second per channel, so the
 * coalesced updaters of all tasks draw from one shared window, and posts from one per channel.
 * `acquire` waits for a free slot; a 429 (Retry-After) closes the window for everyone.
 */
export interface BudgetLimits {
  /** chat.update calls per window, for the whole workspace. */
  updates: number;
  /** chat.postMessage calls per window, per channel. */
  postsPerChannel: number;
  windowMs: number;
}

/** Slack's documented tiers, with a margin: 45 of the 50 updates a minute, 50 posts a minute per channel. */
export const SLACK_BUDGET: BudgetLimits = { updates: 45, postsPerChannel: 50, windowMs: 60_000 };

export class SlackBudget {
  private readonly used = new Map<string, number[]>();
  private blockedUntil = 0;

  constructor(readonly limits: BudgetLimits = SLACK_BUDGET) {}

  /** Waits until one more chat.update fits, and counts it. */
  update(): Promise<void> {
    return this.acquire('update', this.limits.updates);
  }

  /** Waits until one more message in `channel` fits, and counts it. */
  post(channel: string): Promise<void> {
    return this.acquire(`post:${channel}`, this.limits.postsPerChannel);
  }

  /** Slack answered 429: nobody sends before Retry-After has passed. */
  pause(seconds: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, Date.now() + seconds * 1000);
  }

  private async acquire(key: string, limit: number): Promise<void> {
    for (;;) {
      const now = Date.now();
      const times = (this.used.get(key) ?? []).filter((t) => t > now - this.limits.windowMs);
      this.used.set(key, times);
      const wait = Math.max(this.blockedUntil - now, times.length >= limit ? times[0]! + this.limits.windowMs - now : 0);
      if (wait <= 0) {
        times.push(now);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, wait + 5));
    }
  }
}
