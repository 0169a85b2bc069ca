import { randomBytes } from 'node:crypto';
import * as XLSX from 'xlsx';
import { SpreadsheetError } from './spreadsheet.errors';
import { buildZip, zipBomb } from './testing/zip-builder';
import { assertZipWithinBounds, inflateZipWithinBounds } from './zip-guard';
import { cpuNow } from './testing/cpu-clock';

const bounds = { maxUncompressedBytes: 10 * 1024 * 1024, maxEntries: 100 };
const MiB = 1024 * 1024;

async function refusal(buf: Buffer, opts = bounds): Promise<SpreadsheetError> {
  const err = await assertZipWithinBounds(buf, opts).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SpreadsheetError);
  return err as SpreadsheetError;
}

function workbook(): Buffer {
  const book = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(book, XLSX.utils.aoa_to_sheet([['Question'], ['Why?']]), 'S');
  return XLSX.write(book, { type: 'buffer', bookType: 'xlsx' }) as Buffer;
}

describe('assertZipWithinBounds', () => {
  it('lets a real workbook through', async () => {
    await expect(assertZipWithinBounds(workbook(), bounds)).resolves.toBeUndefined();
  });

  it('keeps the entries asked for, inflated', async () => {
    const zip = buildZip([
      { name: 'mimetype', data: Buffer.from('application/vnd.oasis.opendocument.spreadsheet'), method: 0 },
      { name: 'content.xml', data: Buffer.from('<x/>') },
    ]);
    const kept = await inflateZipWithinBounds(zip, bounds, (name) => name === 'content.xml');
    expect([...kept.keys()]).toEqual(['content.xml']);
    expect(kept.get('content.xml')?.toString()).toBe('<x/>');
  });

  it('refuses a zip bomb that declares its size, at once', async () => {
    const bomb = zipBomb(64 * MiB);
    expect(bomb.length).toBeLessThan(400 * 1024);
    const started = cpuNow();
    const err = await refusal(bomb);
    expect(err.code).toBe('too_large_uncompressed');
    expect(err.message).toMatch(/10 MiB/);
    expect(cpuNow() - started).toBeLessThan(3000);
  });

  it('refuses a bomb that understates its size, after inflating only what it declared', async () => {
    const started = cpuNow();
    const err = await refusal(zipBomb(64 * MiB, 1000));
    expect(err.code).toBe('malformed');
    expect(err.message).toMatch(/more data than it declares/);
    expect(cpuNow() - started).toBeLessThan(6000);
  });

  it('counts what entries really inflate to: many honest entries over the bound together', async () => {
    const entries = Array.from({ length: 12 }, (_, i) => ({ name: `xl/part${i}.xml`, data: Buffer.alloc(MiB, 0x20) }));
    expect((await refusal(buildZip(entries))).code).toBe('too_large_uncompressed');
    await expect(assertZipWithinBounds(buildZip(entries.slice(0, 8)), bounds)).resolves.toBeUndefined();
  });

  it('refuses entries that overlap on the same compressed bytes', async () => {
    const zip = buildZip([{ name: 'xl/sheet.xml', data: Buffer.alloc(2 * MiB, 0x30) }], { repeatFirst: 50 });
    expect(zip.length).toBeLessThan(20 * 1024);
    expect((await refusal(zip)).code).toBe('too_large_uncompressed');
  });

  it('refuses more entries than allowed, by the declared count and by the real one', async () => {
    const entries = Array.from({ length: 150 }, (_, i) => ({ name: `f${i}`, data: Buffer.from('x') }));
    const declared = await refusal(buildZip(entries));
    expect(declared.code).toBe('too_large_uncompressed');
    expect(declared.message).toMatch(/150 files; at most 100/);
  });

  it('refuses encrypted entries and compression methods spreadsheets do not use', async () => {
    const encrypted = buildZip([{ name: 'xl/workbook.xml', data: Buffer.from('<x/>'), flags: 1 }]);
    expect(await refusal(encrypted)).toMatchObject({ code: 'malformed', message: expect.stringMatching(/encrypted/) });
    const bzip2 = buildZip([{ name: 'xl/workbook.xml', data: Buffer.from('<x/>'), method: 12 }]);
    expect(await refusal(bzip2)).toMatchObject({ code: 'malformed', message: expect.stringMatching(/compression method 12/) });
  });

  it('answers malformed for random bytes behind a zip signature, a truncated zip and a corrupt stream', async () => {
    const garbage = Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), randomBytes(4096)]);
    expect((await refusal(garbage)).code).toBe('malformed');
    const real = workbook();
    expect((await refusal(real.subarray(0, Math.floor(real.length / 2)))).code).toBe('malformed');
    const zip = buildZip([{ name: 'xl/a.xml', data: Buffer.alloc(64 * 1024, 0x41) }]);
    const corrupt = Buffer.from(zip);
    for (let i = 40; i < 80; i++) corrupt[i] ^= 0xff; // inside the deflate stream
    expect((await refusal(corrupt)).code).toBe('malformed');
  });

  it('does not hang on a central directory that promises entries it does not have', async () => {
    const zip = buildZip([{ name: 'a', data: Buffer.from('x') }], { declaredCount: 60 });
    const started = cpuNow();
    expect((await refusal(zip)).code).toBe('malformed');
    expect(cpuNow() - started).toBeLessThan(3000);
  });
});
