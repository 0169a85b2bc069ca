import { crc32, deflateRawSync } from 'node:zlib';

/*
 * Hand-built zips for the specs: real zip writers refuse to lie about sizes or to point two
 * entries at the same bytes, and those are exactly the archives the guard has to refuse.
 */

export interface ZipEntrySpec {
  name: string;
  data: Buffer;
  /** 8 (deflate, default) or 0 (stored); anything else to play an unsupported method. */
  method?: number;
  /** Uncompressed size written in the headers; the real size by default. */
  declaredSize?: number;
  /** General purpose flags (bit 0: encrypted). */
  flags?: number;
}

export interface ZipOptions {
  /** Central directory records that all point at the first entry's data (an overlapping bomb). */
  repeatFirst?: number;
  /** Entry count written in the end record; the real count by default. */
  declaredCount?: number;
}

export function buildZip(entries: ZipEntrySpec[], opts: ZipOptions = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  const records: { name: Buffer; method: number; flags: number; crc: number; compressed: number; size: number; offset: number }[] = [];
  for (const e of entries) {
    const method = e.method ?? 8;
    const body = method === 8 ? deflateRawSync(e.data, { level: 9 }) : e.data;
    const name = Buffer.from(e.name);
    const rec = { name, method, flags: e.flags ?? 0, crc: crc32(e.data), compressed: body.length, size: e.declaredSize ?? e.data.length, offset };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(rec.flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(rec.crc, 14);
    local.writeUInt32LE(rec.compressed, 18);
    local.writeUInt32LE(rec.size, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, body);
    offset += local.length + name.length + body.length;
    records.push(rec);
  }
  const all = opts.repeatFirst ? Array.from({ length: opts.repeatFirst }, (_, i) => ({ ...records[0], name: Buffer.from(`${i}-${records[0].name.toString()}`) })) : records;
  for (const rec of all) {
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(rec.flags, 8);
    central.writeUInt16LE(rec.method, 10);
    central.writeUInt32LE(rec.crc, 16);
    central.writeUInt32LE(rec.compressed, 20);
    central.writeUInt32LE(rec.size, 24);
    central.writeUInt16LE(rec.name.length, 28);
    central.writeUInt32LE(rec.offset, 42);
    centrals.push(central, rec.name);
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  const count = opts.declaredCount ?? all.length;
  end.writeUInt16LE(Math.min(count, 0xffff), 8);
  end.writeUInt16LE(Math.min(count, 0xffff), 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

/** An .xlsx-looking archive whose worksheet inflates from a few KB to `bytes` of zeros. */
export function zipBomb(bytes: number, declaredSize?: number): Buffer {
  return buildZip([
    { name: '[Content_Types].xml', data: Buffer.from('<?xml version="1.0"?><Types/>') },
    { name: 'xl/worksheets/sheet1.xml', data: Buffer.alloc(bytes, 0x30), declaredSize },
  ]);
}
