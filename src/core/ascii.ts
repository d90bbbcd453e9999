/*
 * Records are written in ASCII alone. A file of ASCII bytes reads back as a
 * string of one byte a character in one copy; a record of 5.6 MB with a single
 * character past ASCII decoded from UTF-8 in 40 to 60 ms, and as a string of
 * two bytes a character, which every later step of a warm load read more
 * slowly (a probe's warm load took 131 to 169 ms rather than 71 to 94).
 */

const beyondAscii = /[\u0080-\uffff]/g;

/** `text` with every UTF-16 unit past ASCII written `\uXXXX`, as JSON writes it: a JSON text stays the same JSON. */
export function escapeBeyondAscii(text: string): string {
  return text.replace(beyondAscii, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `JSON.stringify(value)` in ASCII alone. */
export function asciiJson(value: unknown): string {
  return escapeBeyondAscii(JSON.stringify(value));
}
