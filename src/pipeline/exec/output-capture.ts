import { StringDecoder } from 'node:string_decoder';
import type { Redactor } from '../../redact.js';

/** Default cap per stream: enough for any useful error tail, small enough to store and post to Slack. */
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;

export type OutputStream = 'stdout' | 'stderr';
/** Anything that masks secrets in text; a `Redactor`, or several chained (see `chainRedactors`). */
export type TextRedactor = Pick<Redactor, 'redact'>;
export type LineListener = (stream: OutputStream, line: string) => void;

/**
 * Collects one output stream of a process (local or remote) for both seams:
 *
 * - keeps only the last `maxBytes` bytes, because the end of a failing build is what explains it
 *   and a chatty command must not exhaust memory;
 * - optionally reports complete lines as they arrive (live status in Slack), each redacted,
 *   decoding UTF-8 across chunk boundaries so a multi-byte character split by the transport
 *   is not mangled.
 */
export class OutputCapture {
  private chunks: Buffer[] = [];
  private keptBytes = 0;
  private droppedBytes = 0;
  private readonly decoder = new StringDecoder('utf8');
  private partialLine = '';

  constructor(
    private readonly stream: OutputStream,
    private readonly maxBytes: number,
    private readonly redactor: TextRedactor | undefined,
    private readonly onLine: LineListener | undefined,
  ) {}

  push(chunk: Buffer): void {
    this.keep(chunk);
    if (this.onLine) this.emitLines(this.decoder.write(chunk));
  }

  /** Flush a last line that had no trailing newline. Call once, when the stream has ended. */
  end(): void {
    if (!this.onLine) return;
    const rest = this.partialLine + this.decoder.end();
    this.partialLine = '';
    if (rest.length > 0) this.safeEmit(rest);
  }

  /** The kept tail as text, redacted, with a marker saying how much was dropped. */
  text(): string {
    let buf = Buffer.concat(this.chunks, this.keptBytes);
    if (this.droppedBytes > 0) {
      // The cut may have landed inside a multi-byte character: skip its continuation bytes.
      let start = 0;
      while (start < buf.length && start < 4 && (buf[start]! & 0xc0) === 0x80) start++;
      buf = buf.subarray(start);
    }
    const raw = buf.toString('utf8');
    const body = this.redactor ? this.redactor.redact(raw) : raw;
    return this.droppedBytes > 0 ? `[… ${this.droppedBytes} earlier bytes of ${this.stream} dropped …]\n${body}` : body;
  }

  private keep(chunk: Buffer): void {
    if (this.maxBytes <= 0) {
      this.droppedBytes += chunk.length;
      return;
    }
    if (chunk.length >= this.maxBytes) {
      this.droppedBytes += this.keptBytes + chunk.length - this.maxBytes;
      this.chunks = [Buffer.from(chunk.subarray(chunk.length - this.maxBytes))];
      this.keptBytes = this.maxBytes;
      return;
    }
    this.chunks.push(chunk);
    this.keptBytes += chunk.length;
    while (this.keptBytes > this.maxBytes) {
      const head = this.chunks[0]!;
      const excess = this.keptBytes - this.maxBytes;
      if (head.length <= excess) {
        this.chunks.shift();
        this.keptBytes -= head.length;
        this.droppedBytes += head.length;
      } else {
        this.chunks[0] = head.subarray(excess);
        this.keptBytes -= excess;
        this.droppedBytes += excess;
      }
    }
  }

  private emitLines(text: string): void {
    const parts = (this.partialLine + text).split('\n');
    this.partialLine = parts.pop() ?? '';
    // A single line longer than the cap is still reported, in pieces, rather than buffered forever.
    if (this.partialLine.length > this.maxBytes) {
      parts.push(this.partialLine);
      this.partialLine = '';
    }
    for (const line of parts) this.safeEmit(line.endsWith('\r') ? line.slice(0, -1) : line);
  }

  private safeEmit(line: string): void {
    try {
      this.onLine?.(this.stream, this.redactor ? this.redactor.redact(line) : line);
    } catch {
      // A failing listener (a Slack update that threw) must not break the command it watches.
    }
  }
}

/** Applies every given redactor in turn (a connection's secrets and a hook's secrets, say). */
export function chainRedactors(...redactors: (TextRedactor | undefined)[]): TextRedactor {
  const present = redactors.filter((r): r is TextRedactor => r !== undefined);
  return { redact: (text) => present.reduce((acc, r) => r.redact(acc), text) };
}
