import type { Readable } from 'node:stream';
import * as yauzl from 'yauzl';
import { SpreadsheetError } from './spreadsheet.errors';

export interface ZipBounds {
  /** Total bytes all entries may inflate to. */
  maxUncompressedBytes: number;
  /** Entries (files and folders) the archive may hold. */
  maxEntries: number;
}

/**
 * Refuses a zip (xlsx, ods) that inflates beyond the bounds, before any parser sees it.
 * Every entry is really inflated and counted: a forged central directory can declare any size
 * it likes, and several entries can point at the same compressed bytes.
 */
export async function assertZipWithinBounds(buf: Buffer, opts: ZipBounds): Promise<void> {
  await inflateZipWithinBounds(buf, opts, () => false);
}

/**
 * As assertZipWithinBounds, keeping the inflated content of the entries `keep` selects (by
 * file name), so a caller can look inside without inflating twice.
 */
export async function inflateZipWithinBounds(
  buf: Buffer,
  opts: ZipBounds,
  keep: (fileName: string) => boolean,
): Promise<Map<string, Buffer>> {
  let zip: yauzl.ZipFile;
  try {
    // validateEntrySizes makes the inflate stream fail when the data disagrees with the declared
    // size, so the cheap declared-size check below cannot be fooled by an understatement.
    zip = await yauzl.fromBufferPromise(buf, { lazyEntries: true, validateEntrySizes: true, autoClose: true });
  } catch (err) {
    throw malformed(err);
  }
  const kept = new Map<string, Buffer>();
  try {
    if (zip.entryCount > opts.maxEntries) {
      throw new SpreadsheetError(
        'too_large_uncompressed',
        `the archive holds ${zip.entryCount} files; at most ${opts.maxEntries} are accepted`,
      );
    }
    let total = 0;
    let entries = 0;
    for await (const entry of zip.eachEntry()) {
      if (++entries > opts.maxEntries) {
        throw new SpreadsheetError('too_large_uncompressed', `the archive holds more than ${opts.maxEntries} files`);
      }
      if (entry.fileName.endsWith('/')) continue;
      if (entry.isEncrypted()) throw new SpreadsheetError('malformed', `the archive entry "${entry.fileName}" is encrypted`);
      if (!entry.canDecodeFileData()) {
        throw new SpreadsheetError(
          'malformed',
          `the archive entry "${entry.fileName}" uses compression method ${entry.compressionMethod}, which spreadsheets do not use`,
        );
      }
      if (total + entry.uncompressedSize > opts.maxUncompressedBytes) throw tooLarge(opts.maxUncompressedBytes);
      const wanted = keep(entry.fileName);
      const { bytes, data } = await inflateEntry(zip, entry, opts.maxUncompressedBytes - total, opts.maxUncompressedBytes, wanted);
      total += bytes;
      if (data) kept.set(entry.fileName, data);
    }
  } catch (err) {
    throw err instanceof SpreadsheetError ? err : malformed(err);
  } finally {
    zip.close();
  }
  return kept;
}

/** Inflates one entry, counting; destroys the stream the moment it passes `budget` bytes. */
async function inflateEntry(
  zip: yauzl.ZipFile,
  entry: yauzl.Entry,
  budget: number,
  max: number,
  collect: boolean,
): Promise<{ bytes: number; data: Buffer | null }> {
  const stream: Readable = await zip.openReadStreamPromise(entry);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      stream.removeAllListeners('data');
      fn();
    };
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > budget) {
        settle(() => reject(tooLarge(max)));
        stream.destroy();
        return;
      }
      if (collect) chunks.push(chunk);
    });
    stream.once('error', (err) => settle(() => reject(malformed(err))));
    stream.once('end', () => settle(() => resolve({ bytes, data: collect ? Buffer.concat(chunks) : null })));
    // A stream destroyed from outside ends with 'close' alone; without this the promise would hang.
    stream.once('close', () => settle(() => reject(new SpreadsheetError('malformed', 'the archive could not be read to the end'))));
  });
}

function tooLarge(max: number): SpreadsheetError {
  return new SpreadsheetError(
    'too_large_uncompressed',
    `the file unpacks to more than ${formatBytes(max)}; it is either a zip bomb or too big a workbook`,
  );
}

function malformed(err: unknown): SpreadsheetError {
  const reason = err instanceof Error ? err.message : String(err);
  // yauzl's validateEntrySizes: an entry holds more than its header declares, i.e. a forged archive.
  if (/too many bytes/i.test(reason)) {
    return new SpreadsheetError('malformed', 'the archive is damaged or forged: an entry holds more data than it declares');
  }
  return new SpreadsheetError('malformed', `the file is damaged: it is not a readable zip archive (${reason})`);
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${Math.round(n / 1024 / 1024)} MiB` : `${Math.round(n / 1024)} KiB`;
}
