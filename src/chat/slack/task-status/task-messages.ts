/**
 * The one Slack message per task (issue: live status). The Slack adapter calls `publish` when a
 * command creates or decides a task; the implementation also follows pipeline events by itself.
 */
export interface TaskMessages {
  /** Posts the task's status message the first time (in `channel`, or the task's own), then updates it. */
  publish(taskId: number, channel?: string): Promise<void>;
  /** Adds a reply in the task message's thread (decisions, failures, results). */
  thread(taskId: number, text: string): Promise<void>;
  /** Subscribes to pipeline events. */
  start(): void;
  /** Lets pending updates land (the final state always does), then unsubscribes. */
  stop(): Promise<void>;
}
