/** Slack renders <@U…> as the person's name; local shell users are shown as @name. */
export function mention(userId: string): string {
  return /^[UW][A-Z0-9]{2,}$/.test(userId) ? `<@${userId}>` : `@${userId}`;
}
