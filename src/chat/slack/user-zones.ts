import type { webApi } from '@slack/bolt';
import type { Logger } from '../../log.js';
import { slackErrorCode } from './modals.js';

/**
 * Each person's time zone, from their Slack profile (users.info, scope users:read), so `at 18:30`
 * means 18:30 where they are, like the form's date picker. Cached for an hour; when Slack cannot
 * tell, the bot's DEPLOYBOT_TIMEZONE is used.
 */
const TTL_MS = 3600_000;

export class UserZones {
  private readonly cache = new Map<string, { zone: string; until: number }>();

  constructor(
    private readonly client: webApi.WebClient,
    private readonly fallback: string,
    private readonly log: Logger,
  ) {}

  async of(user: string): Promise<string> {
    const hit = this.cache.get(user);
    if (hit && hit.until > Date.now()) return hit.zone;
    const zone = await this.client.users
      .info({ user })
      .then((r) => validZone(r.user?.tz) ?? this.fallback)
      .catch((err: unknown) => {
        this.log.info('no time zone for the user', { user, error: slackErrorCode(err) });
        return this.fallback;
      });
    this.cache.set(user, { zone, until: Date.now() + TTL_MS });
    return zone;
  }
}

function validZone(zone: string | undefined): string | undefined {
  if (!zone) return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}
