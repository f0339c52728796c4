import type { SlackBudget } from './slack-budget.js';

/**
 * Sends the latest state of one message at most once per interval, whatever the number of
 * changes in between (a 50-server deploy makes hundreds). Never two sends at once; every send
 * first takes a slot of the shared Slack budget (all tasks together stay within chat.update's
 * tier); a send that was rate limited (429, surfaced by a client with rejectRateLimitedCalls) is
 * retried after Retry-After, and `flush` makes sure the last state lands.
 */
export class CoalescedUpdater {
  private dirty = false;
  private inFlight: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastSent = 0;
  private blockedUntil = 0;

  constructor(
    private readonly send: () => Promise<void>,
    private readonly onError: (err: unknown) => void,
    private readonly minIntervalMs = 1000,
    private readonly budget?: SlackBudget,
  ) {}

  /** Something changed: send it soon. */
  request(): void {
    this.dirty = true;
    this.schedule();
  }

  /** Sends the current state now (after any send in flight) and resolves once it has landed. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    // Only a 429 leaves the state dirty after a send, so this ends once Slack takes the update.
    for (let attempt = 0; attempt < 50; attempt++) {
      if (this.inFlight) await this.inFlight;
      if (!this.dirty) return;
      const wait = this.blockedUntil - Date.now();
      if (wait > 0) await sleep(wait);
      await this.sendNow();
    }
  }

  private schedule(): void {
    if (this.timer || this.inFlight) return;
    const due = Math.max(this.lastSent + this.minIntervalMs, this.blockedUntil);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.sendNow();
    }, Math.max(0, due - Date.now()));
  }

  private sendNow(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    this.inFlight = (async () => {
      await this.budget?.update();
      // The state is read after the wait: what is sent is the latest.
      this.dirty = false;
      this.lastSent = Date.now();
      await this.send();
    })()
      .catch((err: unknown) => {
        const retryAfter = rateLimitSeconds(err);
        if (retryAfter !== null) {
          this.blockedUntil = Date.now() + retryAfter * 1000;
          this.budget?.pause(retryAfter);
          this.dirty = true;
        } else {
          this.onError(err);
        }
      })
      .finally(() => {
        this.inFlight = null;
        if (this.dirty) this.schedule();
      });
    return this.inFlight;
  }
}

/** Retry-After of a rate-limited Web API call (WebClient raises it when it gives up retrying). */
function rateLimitSeconds(err: unknown): number | null {
  const e = err as { code?: string; retryAfter?: number };
  return e?.code === 'slack_webapi_rate_limited_error' ? Math.max(1, e.retryAfter ?? 1) : null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
