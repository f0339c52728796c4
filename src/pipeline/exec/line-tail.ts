/**
 * The last N lines of a command's combined output, in the order they arrived. Kept per stage for
 * failure reports (Slack thread, shell) and persisted on TaskHost; already redacted by the seam.
 */
export class LineTail {
  private readonly lines: string[] = [];

  constructor(
    private readonly maxLines = 40,
    private readonly maxLineChars = 500,
  ) {}

  push(line: string): void {
    this.lines.push(line.length > this.maxLineChars ? `${line.slice(0, this.maxLineChars)}…` : line);
    if (this.lines.length > this.maxLines) this.lines.shift();
  }

  text(): string {
    return this.lines.join('\n');
  }
}
