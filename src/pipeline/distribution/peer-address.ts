/**
 * How peers reach a server: its internal address (`host`, `host:port`, `[v6]:port` or a bare
 * IPv6 address), else the bot's own view of it.
 */
export function peerAddressOf(internal: string | null | undefined, host: string, port: number): { host: string; port: number } {
  if (!internal) return { host, port };
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(internal);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] ? Number(bracketed[2]) : port };
  const withPort = /^([^:]+):(\d+)$/.exec(internal);
  if (withPort) return { host: withPort[1]!, port: Number(withPort[2]) };
  return { host: internal, port };
}
