/**
 * Seeded randomness for the emulator. Everything the emulator "decides" (which brands an answer
 * mentions, which fault a request gets) comes from a generator seeded by a hash of the inputs,
 * so a run with the same configuration and the same requests is reproducible.
 */

/** A function returning uniform numbers in [0, 1). */
export type Rng = () => number;

/** cyrb53: a fast 53-bit string hash with good spread; enough for seeding, not for security. */
export function hashString(text: string, salt = 0): number {
  let h1 = 0xdeadbeef ^ salt;
  let h2 = 0x41c6ce57 ^ salt;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** Hash of several parts; the separator keeps ("ab", "c") and ("a", "bc") apart. */
export function hashParts(...parts: Array<string | number>): number {
  return hashString(parts.join('\u241f'));
}

/** mulberry32: tiny, fast, and good enough to pick phrasings and faults. */
export function createRng(seed: number): Rng {
  let a = (seed ^ (seed / 4294967296)) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function rngFor(...parts: Array<string | number>): Rng {
  return createRng(hashParts(...parts));
}

/** Integer in [min, max], both inclusive. */
export function intBetween(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)];
}

/** Fisher–Yates on a copy. */
export function shuffled<T>(rng: Rng, items: readonly T[]): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Lower-case hex of the given length, e.g. for ids that look like the providers' own. */
export function hexId(rng: Rng, length: number): string {
  let out = '';
  while (out.length < length) out += Math.floor(rng() * 0x100000000).toString(16).padStart(8, '0');
  return out.slice(0, length);
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export function base64UrlId(rng: Rng, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += BASE64URL[Math.floor(rng() * 64)];
  return out;
}

/** A UUID-shaped id (version-4 layout) drawn from the seeded generator, not from crypto. */
export function uuidFrom(rng: Rng): string {
  const h = hexId(rng, 32);
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
