/**
 * The one Slack message per task (issue: live status). The Slack adapter calls `publish` when a
 * command creates or decides a task; the implementation also follows pipeline events by itself.
 */
/** Where a task's message went; `refused` when Slack would not take it in the channel asked for. */
export interface PublishResult {
  channel: string | null;
  refused: { channel: string; error: string } | null;
}

export interface TaskMessages {
  /**
   * Posts the task's status message the first time (in `channel`, or the task's own; where the bot
   * cannot post, in the project's channel), then updates it.
   */
  publish(taskId: number, channel?: string): Promise<PublishResult>;
  /** Adds a reply in the task message's thread (decisions, failures, results). */
  thread(taskId: number, text: string): Promise<void>;
  /** Subscribes to pipeline events. */
  start(): void;
  /** Lets pending updates land (the final state always does), then unsubscribes. */
  stop(): Promise<void>;
}
