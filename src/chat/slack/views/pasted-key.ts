/**
 * A private key pasted in two parts. A Slack input holds at most 3,000 characters and an RSA-4096
 * key is about 3,400, so the server form has a second "continued" input. Slack trims each input,
 * so the line break at the split may be lost (or the split may fall inside a line): the key's
 * base64 body is joined without whitespace and wrapped again as its format writes it (70 columns
 * for OpenSSH keys, 64 for PEM). Header lines (`Proc-Type:`, `DEK-Info:` of an encrypted PEM key)
 * are kept. Pure.
 */
const ARMOR = /^(-----BEGIN ([A-Z0-9 ]+)-----)([\s\S]*?)(-----END \2-----)\s*$/;

export function joinPastedKey(first: string | undefined, rest: string | undefined): string | undefined {
  if (first === undefined) return rest;
  if (rest === undefined) return first;
  const joined = `${first}\n${rest}`.trim();
  const m = ARMOR.exec(joined);
  if (!m) return `${first}${rest}`;
  const [, begin, kind, inner, end] = m;
  const lines = inner!.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const headers = lines.filter((l) => /^[A-Za-z-]+:/.test(l));
  const body = lines.filter((l) => !/^[A-Za-z-]+:/.test(l)).join('');
  const width = kind === 'OPENSSH PRIVATE KEY' ? 70 : 64;
  const wrapped = body.match(new RegExp(`.{1,${width}}`, 'g')) ?? [];
  return [begin, ...headers, ...(headers.length ? [''] : []), ...wrapped, end].join('\n');
}
