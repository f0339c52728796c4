import { createHash, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { SlackApiStandIn } from './slack-api-stand-in.js';

/**
 * Slack's Socket Mode on loopback: `apps.connections.open` (answered by the Web API stand-in)
 * hands out a `ws://127.0.0.1:<port>/link` URL, and this server speaks WebSocket (RFC 6455) there
 * the way Slack does: `hello` on connect, envelopes (`slash_commands`, `interactive`,
 * `events_api`) with an `envelope_id` the app must ack, pongs to the client's pings.
 *
 * @slack/socket-mode (undici's WebSocket) takes any URL apps.connections.open returns, and Bolt
 * passes `installerOptions.clientOptions.slackApiUrl` to it, so the real client runs against this.
 * Only what a test needs of the protocol is here: text frames, ping/pong and close; no
 * fragmentation or extensions (undici offers none without asking).
 */
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export interface Envelope {
  envelope_id: string;
  type: 'slash_commands' | 'interactive' | 'events_api';
  payload: Record<string, unknown>;
  accepts_response_payload: boolean;
}

export class SocketModeStandIn {
  private readonly sockets = new Set<Socket>();
  private readonly events = new EventEmitter();
  /** Acks the app sent back, by envelope_id. */
  readonly acks = new Map<string, Record<string, unknown>>();
  /** How many times the app called apps.connections.open. */
  opened = 0;

  private constructor(private readonly server: Server) {
    server.on('upgrade', (req: IncomingMessage, socket: Socket) => this.upgrade(req, socket));
  }

  /** Starts the WebSocket side and teaches `api` to answer apps.connections.open with its URL. */
  static async start(api: SlackApiStandIn, appToken: string): Promise<SocketModeStandIn> {
    const server = createServer((_req, res) => {
      res.writeHead(426);
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const standIn = new SocketModeStandIn(server);
    const { port } = server.address() as AddressInfo;
    api.respondWith('apps.connections.open', (_args, call) => {
      if (call.token !== appToken) return { ok: false, error: 'invalid_auth' };
      standIn.opened += 1;
      return { ok: true, url: `ws://127.0.0.1:${port}/link/?ticket=${randomUUID()}&app_id=A0DEPLOYBOT` };
    });
    return standIn;
  }

  /** Resolves once an app is connected (it got its `hello`). */
  connected(timeoutMs = 10_000): Promise<void> {
    if (this.sockets.size > 0) return Promise.resolve();
    return withTimeout(new Promise((resolve) => this.events.once('connected', resolve)), timeoutMs, 'no Socket Mode connection');
  }

  /** Sends an envelope to the connected app and resolves with its ack. */
  async deliver(type: Envelope['type'], payload: Record<string, unknown>, timeoutMs = 5000): Promise<Record<string, unknown>> {
    const envelope: Envelope = { envelope_id: randomUUID(), type, payload, accepts_response_payload: type !== 'events_api' };
    const acked = withTimeout(
      new Promise<Record<string, unknown>>((resolve) => {
        const onAck = (id: string, body: Record<string, unknown>) => {
          if (id !== envelope.envelope_id) return;
          this.events.off('ack', onAck);
          resolve(body);
        };
        this.events.on('ack', onAck);
      }),
      timeoutMs,
      `no ack for envelope ${envelope.envelope_id}`,
    );
    for (const socket of this.sockets) socket.write(frame(0x1, Buffer.from(JSON.stringify(envelope))));
    return acked;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private upgrade(req: IncomingMessage, socket: Socket): void {
    const key = req.headers['sec-websocket-key'];
    if (typeof key !== 'string' || !req.url?.startsWith('/link')) {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const accept = createHash('sha1').update(key + GUID).digest('base64');
    socket.write(['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${accept}`, '', ''].join('\r\n'));
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => this.sockets.delete(socket));
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const parsed = readFrame(buffered);
        if (parsed === null) break;
        buffered = buffered.subarray(parsed.size);
        this.onFrame(socket, parsed.opcode, parsed.payload);
      }
    });
    socket.write(frame(0x1, Buffer.from(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'stand-in', approximate_connection_time: 3600 }, connection_info: { app_id: 'A0DEPLOYBOT' } }))));
    this.events.emit('connected');
  }

  private onFrame(socket: Socket, opcode: number, payload: Buffer): void {
    if (opcode === 0x9) socket.write(frame(0xa, payload)); // ping → pong
    else if (opcode === 0x8) socket.end(frame(0x8, payload.subarray(0, 2)));
    else if (opcode === 0x1) {
      const body = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
      if (typeof body.envelope_id === 'string') {
        this.acks.set(body.envelope_id, body);
        this.events.emit('ack', body.envelope_id, body);
      }
    }
  }
}

/** A server frame: FIN set, never masked. */
function frame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x80 | opcode, n]) : n < 65536 ? Buffer.from([0x80 | opcode, 126, n >> 8, n & 0xff]) : Buffer.concat([Buffer.from([0x80 | opcode, 127]), bigLength(n)]);
  return Buffer.concat([head, payload]);
}

function bigLength(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

/** One client frame (always masked), or null when more bytes are needed. */
function readFrame(buf: Buffer): { opcode: number; payload: Buffer; size: number } | null {
  if (buf.length < 2) return null;
  const opcode = buf[0]! & 0x0f;
  const masked = (buf[1]! & 0x80) !== 0;
  let length = buf[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buf.length < 4) return null;
    length = buf.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buf.length < 10) return null;
    length = Number(buf.readBigUInt64BE(2));
    offset = 10;
  }
  const maskSize = masked ? 4 : 0;
  if (buf.length < offset + maskSize + length) return null;
  const mask = masked ? buf.subarray(offset, offset + 4) : null;
  const payload = Buffer.from(buf.subarray(offset + maskSize, offset + maskSize + length));
  if (mask) for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ mask[i % 4]!;
  return { opcode, payload, size: offset + maskSize + length };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`SocketModeStandIn: ${what} within ${ms} ms`)), ms);
    promise.then((v) => {
      clearTimeout(timer);
      resolve(v);
    }, reject);
  });
}
