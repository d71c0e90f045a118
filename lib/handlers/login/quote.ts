/**
 * Python 2's `urllib.quote(text, safe='/')`, which App Engine uses for the login `continue`
 * parameter (app-engine.md §2.7): UTF-8 bytes, with letters, digits, `_.-` and `/` kept and
 * everything else (`~` included, unlike Python 3) written `%XX`. Never throws: a lone surrogate
 * becomes U+FFFD.
 */
export function pythonQuote(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) out += QUOTED[byte]!;
  return out;
}

const QUOTED: readonly string[] = Array.from({ length: 256 }, (_, byte) => {
  const c = String.fromCharCode(byte);
  return /^[A-Za-z0-9_.\-/]$/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
});
