import { formatTime } from '../../../commands/formatting.js';

/**
 * A time as Slack shows it to each reader in their own zone (`<!date^…>`), with the bot's zone as
 * the fallback text for clients that cannot (notifications, old clients). Pure.
 */
export function slackDate(date: Date, fallbackZone: string): string {
  const seconds = Math.floor(date.getTime() / 1000);
  return `<!date^${seconds}^{date_short_pretty} at {time}|${formatTime(date, fallbackZone)}>`;
}
