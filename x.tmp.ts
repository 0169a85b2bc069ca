import ExcelJS from 'exceljs';
import { PassThrough } from 'node:stream';
(async () => {
  const out = new PassThrough(); const chunks: Buffer[] = []; out.on('data', (c) => chunks.push(c));
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  const ws = wb.addWorksheet('s');
  ws.addRow(['', null, 'a\nb', 1.5, true, false, "'=x", '2026-01-01T00:00:00.000Z']).commit();
  ws.commit(); await wb.commit();
  await new Promise((r) => setTimeout(r, 50));
  const rb = new ExcelJS.Workbook(); await rb.xlsx.load(Buffer.concat(chunks) as any);
  const row = rb.getWorksheet('s')!.getRow(1);
  for (let c = 1; c <= 8; c++) console.log(c, JSON.stringify(row.getCell(c).value), row.getCell(c).type);
})();
