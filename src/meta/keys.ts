// Key order and key ranges in UTF-8 byte order, the order S3 lists in and both engines index in.

import { MetaError } from './errors.ts';

/** Byte order of the UTF-8 encodings (JS `<` compares UTF-16 units, which disagrees above U+FFFF). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * The least string above every string that starts with `prefix`, or undefined when nothing is (the prefix is all
 * U+10FFFF). Byte order of UTF-8 is code point order, so bumping the last code point that can be bumped is enough.
 */
export function prefixEnd(prefix: string): string | undefined {
  const points = Array.from(prefix, (c) => c.codePointAt(0) ?? 0);
  while (points.length > 0) {
    const last = points.pop() ?? 0;
    if (last === 0x10ffff) continue;
    // Surrogate code points cannot be stored; the next character after U+D7FF is U+E000.
    points.push(last === 0xd7ff ? 0xe000 : last + 1);
    return String.fromCodePoint(...points);
  }
  return undefined;
}

const LONE_SURROGATE = /\p{Cs}/u;

/** Text the engines store losslessly and order alike: valid Unicode (no lone surrogates) and no NUL. */
export function checkText(what: string, value: string): void {
  if (value.includes('\0')) throw new MetaError('invalid', `${what} must not contain NUL`);
  if (LONE_SURROGATE.test(value)) throw new MetaError('invalid', `${what} must be valid Unicode (it has a lone surrogate)`);
}

/** `value` with what checkText refuses (NUL, lone surrogates) replaced by U+FFFD: for text that must be kept, not refused. */
export function wellFormedText(value: string): string {
  return value.replace(/\0|\p{Cs}/gu, '\ufffd');
}
