import { Body, Controller, Get, HttpCode, Post, Query, StreamableFile } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import contentDisposition from 'content-disposition';
import { ApiProblems } from '../core/http/api-problems.decorator';
import { UuidParam } from '../core/http/validation';
import { CreateExportDto, DownloadQueryDto, ExportDto, toExportDto } from './dto/export.dto';
import { type ExportDownload, ExportsService } from './exports.service';

/** A download as a response body: its type and file name, and a failure half-way aborts the response. */
function streamed(d: ExportDownload): StreamableFile {
  const file = new StreamableFile(d.stream, { type: d.contentType, disposition: contentDisposition(d.fileName) });
  // Nest's default would end the response normally after a failure, leaving a short file that
  // looks whole; destroying it makes the client see the download fail.
  file.setErrorHandler((err, res) => {
    if (res.destroy) res.destroy(err);
    else res.end();
  });
  return file;
}

@ApiTags('exports')
@ApiProblems()
@Controller()
export class ExportsController {
  constructor(private readonly exports: ExportsService) {}

  // The colon is literal (a custom method): GET /runs/{id}/results:download.
  @Get('runs/:id/results\\:download')
  @ApiOperation({ summary: "Download the run's results, streamed: CSV (RFC 4180; `bom=true` for Excel), XLSX (results, summary and citations sheets) or JSONL (`raw=true` adds the providers' raw responses)" })
  @ApiProduces('text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'application/x-ndjson')
  @ApiOkResponse({ description: 'The file, with Content-Disposition: attachment' })
  @ApiProblems(400, 404)
  async download(@UuidParam('id') id: string, @Query() query: DownloadQueryDto): Promise<StreamableFile> {
    return streamed(await this.exports.download(id, query.format, { bom: query.bom, raw: query.raw }));
  }

  @Post('exports')
  @HttpCode(202)
  @ApiOperation({ summary: 'Create an export job: the worker writes the file to the export directory, or delivers the records through a mapper (webhook: signed JSON batches)' })
  @ApiAcceptedResponse({ type: ExportDto })
  @ApiProblems(400, 404, 422)
  async create(@Body() dto: CreateExportDto): Promise<ExportDto> {
    return toExportDto(await this.exports.create({ runId: dto.run_id, format: dto.format, mapper: dto.mapper, config: dto.config, bom: dto.bom, raw: dto.raw }));
  }

  @Get('exports/:id')
  @ApiOperation({ summary: 'An export job: status, row count, size, errors, deliveries' })
  @ApiOkResponse({ type: ExportDto })
  @ApiProblems(400, 404)
  async get(@UuidParam('id') id: string): Promise<ExportDto> {
    return toExportDto(await this.exports.get(id));
  }

  @Get('exports/:id/file')
  @ApiOperation({ summary: "An export job's file (409 until written, 410 once expired)" })
  @ApiProduces('text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'application/x-ndjson')
  @ApiOkResponse({ description: 'The file, with Content-Disposition: attachment' })
  @ApiProblems(400, 404, 409, 410)
  async file(@UuidParam('id') id: string): Promise<StreamableFile> {
    return streamed(await this.exports.file(id));
  }
}
