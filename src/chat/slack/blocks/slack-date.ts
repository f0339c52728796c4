import { formatTime } from '../../../commands/replies/formatting.js';
import { dateRef } from '../../../core/mention.js';

/**
 * A time as Slack shows it to each reader in their own zone (`<!date^…>`, rendered by safeMrkdwn
 * from the bot's date mark), with the bot's zone as the fallback text for clients that cannot
 * (notifications, old clients). Pure.
 */
export function slackDate(date: Date, fallbackZone: string): string {
  return dateRef(date, formatTime(date, fallbackZone));
}
