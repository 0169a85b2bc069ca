import { createInterface } from 'node:readline';
import { pipeline, Readable, Transform } from 'node:stream';
import { parser } from 'stream-json';
import { findForbiddenKey, rejectForbiddenKeys } from '../core/http/safe-json';
import { streamArray } from 'stream-json/streamers/StreamArray';

/** One item of an import body: its 1-based line (array index + 1 for a JSON array) and value, or why it is unreadable. */
export type RawItem = { line: number; value: unknown } | { line: number; error: string };

export type ImportBodyErrorKind = 'syntax' | 'too_large' | 'empty';

/** The body as a whole cannot be read: nothing of it may be written. */
export class ImportBodyError extends Error {
  constructor(
    readonly kind: ImportBodyErrorKind,
    message: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'ImportBodyError';
  }
}

const MAX_LINE_CHARS = 1_000_000;
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** Passes bytes through and fails the stream once more than `max` have come. */
function byteLimit(max: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > max) done(new ImportBodyError('too_large', `the body is larger than ${max} bytes`));
      else done(null, chunk);
    },
  });
}

/** The first byte that is not whitespace or a BOM, and a stream that still yields everything. */
async function peek(input: Readable): Promise<{ first: number | undefined; stream: Readable }> {
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const buffered: Buffer[] = [];
  let first: number | undefined;
  while (first === undefined) {
    const r = await it.next();
    if (r.done) break;
    const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    buffered.push(chunk);
    let i = 0;
    if (buffered.length === 1 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) i = 3;
    for (; i < chunk.length; i++) {
      if (!WHITESPACE.has(chunk[i])) {
        first = chunk[i];
        break;
      }
    }
  }
  const rest = async function* (): AsyncGenerator<Buffer> {
    yield* buffered;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  };
  return { first, stream: Readable.from(rest(), { objectMode: false }) };
}

async function* jsonArrayItems(stream: Readable): AsyncGenerator<RawItem> {
  // pipeline() destroys every stage when one fails, so the iteration below throws the error
  // (with pipe(), a parser error would be an unhandled 'error' event).
  // Items are counted as the parser completes them (not as they are consumed), so a syntax error
  // is located at the item being parsed when it happened.
  let complete = 0;
  const counter = new Transform({
    objectMode: true,
    transform(item: unknown, _enc, done) {
      complete++;
      done(null, item);
    },
  });
  const items = pipeline(stream, parser(), streamArray(), counter, () => undefined);
  try {
    for await (const { key, value } of items as AsyncIterable<{ key: number; value: unknown }>) {
      const forbidden = findForbiddenKey(value);
      yield forbidden ? { line: key + 1, error: `"${forbidden}" is not allowed as a key` } : { line: key + 1, value };
    }
  } catch (err) {
    if (err instanceof ImportBodyError) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new ImportBodyError('syntax', `malformed JSON array at item ${complete + 1}: ${reason}`, complete + 1);
  }
}

async function* jsonLines(stream: Readable): AsyncGenerator<RawItem> {
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let failure: Error | undefined;
  stream.on('error', (err) => {
    failure = err;
    lines.close();
  });
  let line = 0;
  for await (const text of lines) {
    line++;
    const trimmed = text.replace(/^\uFEFF/, '').trim();
    if (trimmed === '') continue;
    if (trimmed.length > MAX_LINE_CHARS) {
      yield { line, error: `line is longer than ${MAX_LINE_CHARS} characters` };
      continue;
    }
    let item: RawItem;
    try {
      item = { line, value: JSON.parse(trimmed, rejectForbiddenKeys) as unknown };
    } catch (err) {
      item = { line, error: `malformed JSON: ${err instanceof Error ? err.message : String(err)}` };
    }
    yield item;
  }
  if (failure) throw failure;
}

/**
 * Streams the items of an agent-import body: a JSON array (first non-blank character `[`) or
 * JSON Lines (anything else; a single JSON object is one line), whatever the Content-Type says.
 * Memory stays flat: items are yielded as they are parsed.
 */
export async function* readImportItems(input: Readable, maxBytes: number): AsyncGenerator<RawItem> {
  const limited = pipeline(input, byteLimit(maxBytes), () => undefined);
  const { first, stream } = await peek(limited);
  if (first === undefined) throw new ImportBodyError('empty', 'the body is empty: send a JSON array or JSON Lines of items');
  if (first === 0x5b /* [ */) yield* jsonArrayItems(stream);
  else yield* jsonLines(stream);
}
