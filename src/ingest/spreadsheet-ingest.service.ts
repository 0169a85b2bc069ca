import { HttpStatus, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { CampaignRepository } from '../campaigns';
import { AppConfig } from '../core/config/app-config';
import { AppException } from '../core/errors/app.exception';
import { ErrorCode } from '../core/errors/error-code';
import type { IngestDryRunDto, IngestResultDto, IngestUploadDto } from './dto/ingest-upload.dto';
import { FileRepository } from './file.repository';
import type { ImportCandidate } from './import-item';
import { MappingProfileRepository } from './mapping-profile.repository';
import { checkMappingShape } from './mapping-profiles.service';
import { ItemFailure, QuestionImportService } from './question-import.service';
import type { ColumnMapping } from './spreadsheet/canonical-fields';
import { guessMapping, validateMapping } from './spreadsheet/column-mapping';
import { NormalizedRow, normalizeRows } from './spreadsheet/row-normalizer';
import { ParsedSheet, readSpreadsheet } from './spreadsheet/spreadsheet-reader';
import { SpreadsheetError } from './spreadsheet/spreadsheet.errors';

export const PREVIEW_ROWS = 20;

/** The uploaded file as multer hands it over (memory storage). */
export interface UploadedSheet {
  originalname: string;
  mimetype: string;
  size: number;
  buffer: Buffer;
}

const MAX_ZIP_ENTRIES = 10_000;

function sheetProblem(err: SpreadsheetError): AppException {
  const status =
    err.code === 'unsupported_type' || err.code === 'content_mismatch'
      ? HttpStatus.UNSUPPORTED_MEDIA_TYPE
      : err.code === 'too_large_uncompressed' || err.code === 'too_many_rows'
        ? HttpStatus.PAYLOAD_TOO_LARGE
        : HttpStatus.BAD_REQUEST;
  const code =
    status === HttpStatus.UNSUPPORTED_MEDIA_TYPE
      ? ErrorCode.UnsupportedMediaType
      : status === HttpStatus.PAYLOAD_TOO_LARGE
        ? ErrorCode.PayloadTooLarge
        : ErrorCode.ValidationFailed;
  return new AppException(code, status, err.message, err.row !== undefined ? [{ row: err.row, message: err.message }] : [{ field: 'file', message: err.message }]);
}

/** Unmapped headers: the non-empty ones no canonical field uses, in sheet order. */
function unmappedHeaders(headers: string[], mapping: ColumnMapping): string[] {
  const used = new Set(Object.values(mapping));
  return headers.filter((h) => h.trim() !== '' && !used.has(h));
}

function toCandidate(row: NormalizedRow, campaignId: string, fileName: string): ImportCandidate {
  return {
    at: row.row,
    campaign: { id: campaignId },
    topic: row.topic_title ? { title: row.topic_title, description: row.topic_description } : null,
    persona: row.persona_name
      ? { name: row.persona_name, role: row.persona_role, domain: row.persona_domain, locale: row.persona_locale, tone: row.persona_tone, extra: {} }
      : null,
    question: { text: row.question_text, metadata: { source: 'upload', file: fileName, row: row.row } },
  };
}

/** POST /questions:ingest: a question sheet, mapped to the canonical fields, previewed or imported. */
@Injectable()
export class SpreadsheetIngestService {
  constructor(
    private readonly config: AppConfig,
    private readonly campaigns: CampaignRepository,
    private readonly profiles: MappingProfileRepository,
    private readonly files: FileRepository,
    private readonly importer: QuestionImportService,
  ) {}

  async ingest(file: UploadedSheet | undefined, form: IngestUploadDto): Promise<IngestDryRunDto | IngestResultDto> {
    if (!file) throw AppException.validation('send the sheet as the multipart part "file"', [{ field: 'file', message: 'is required' }]);
    if (!(await this.campaigns.findById(form.campaign_id))) throw AppException.notFound('campaign', form.campaign_id);
    const { mapping: requested, source } = await this.requestedMapping(form);

    let sheet: ParsedSheet;
    try {
      sheet = await readSpreadsheet(file.buffer, file.originalname, {
        maxUncompressedBytes: this.config.http.uploadMaxUncompressedBytes,
        maxEntries: MAX_ZIP_ENTRIES,
        maxRows: this.config.http.uploadMaxRows,
        sheet: form.sheet,
        headerHints: requested ? Object.values(requested) : undefined,
      });
    } catch (err) {
      if (err instanceof SpreadsheetError) throw sheetProblem(err);
      throw err;
    }

    const mapping = requested ? this.checkAgainstHeaders(requested, sheet.headers) : guessMapping(sheet.headers).mapping;
    if (!mapping.question_text) {
      throw new AppException(
        ErrorCode.ValidationFailed,
        HttpStatus.BAD_REQUEST,
        `no column holds the questions (headers: ${sheet.headers.filter(Boolean).join(', ') || 'none'}); name it "Question" or pass mapping`,
        [{ field: 'file', message: 'no question column' }],
      );
    }
    const { rows, errors } = normalizeRows(sheet, mapping);

    if (form.dry_run) {
      return {
        mapping: mapping,
        unmapped_headers: unmappedHeaders(sheet.headers, mapping),
        rows: sheet.rows.length,
        preview: rows.slice(0, PREVIEW_ROWS),
        errors,
        format: sheet.format,
        sheet: sheet.sheetName,
        header_row: sheet.headerRowNumber,
        delimiter: sheet.delimiter,
        mapping_source: source,
      };
    }

    const campaignId = form.campaign_id;
    const items: (ImportCandidate | ItemFailure)[] = [
      ...rows.map((r) => toCandidate(r, campaignId, file.originalname)),
      ...errors.map((e) => ({ at: e.row, error: e.message })),
    ].sort((a, b) => a.at - b.at);
    const sha256 = createHash('sha256').update(file.buffer).digest('hex');
    let fileId = '';
    const summary = await this.importer.import(
      (async function* () {
        yield* items;
      })(),
      'row',
      async (s, tx) => {
        const record = await this.files.create(
          {
            type: sheet.format,
            name: file.originalname.slice(0, 255),
            contentType: file.mimetype || null,
            sizeBytes: file.size,
            sha256,
            campaignId,
            parsedSummary: {
              rows: sheet.rows.length,
              sheet: sheet.sheetName,
              header_row: sheet.headerRowNumber,
              delimiter: sheet.delimiter,
              mapping,
              mapping_source: source,
              unmapped_headers: unmappedHeaders(sheet.headers, mapping),
              imported: s.imported,
              skipped: s.skipped,
              errors: s.failed ?? s.errors.length,
            },
          },
          tx,
        );
        fileId = record.id;
      },
    );
    return { file_id: fileId, mapping: mapping, imported: summary.imported, skipped: summary.skipped, errors: summary.errors as { row: number; message: string }[], ...(summary.failed ? { failed: summary.failed } : {}) };
  }

  /** An explicit mapping, else a saved profile's, else none (the headers are guessed). */
  private async requestedMapping(form: IngestUploadDto): Promise<{ mapping?: ColumnMapping; source: 'explicit' | 'profile' | 'guessed' }> {
    if (form.mapping !== undefined && form.mapping_profile !== undefined) {
      throw AppException.validation('give mapping or mapping_profile, not both', [{ field: 'mapping', message: 'conflicts with mapping_profile' }]);
    }
    if (form.mapping !== undefined) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(form.mapping);
      } catch {
        throw AppException.validation('mapping is not valid JSON', [{ field: 'mapping', message: 'must be a JSON object' }]);
      }
      return { mapping: checkMappingShape(parsed, 'mapping'), source: 'explicit' };
    }
    if (form.mapping_profile !== undefined) {
      const profile = await this.profiles.findByName(form.mapping_profile);
      if (!profile) throw AppException.validation(`no mapping profile named "${form.mapping_profile}"`, [{ field: 'mapping_profile', message: 'unknown profile' }]);
      return { mapping: profile.mapping, source: 'profile' };
    }
    return { source: 'guessed' };
  }

  private checkAgainstHeaders(mapping: ColumnMapping, headers: string[]): ColumnMapping {
    const checked = validateMapping(mapping, headers);
    if (checked.errors.length) {
      throw AppException.validation(`the mapping does not fit the sheet: ${checked.errors.join('; ')}`, checked.errors.map((message) => ({ field: 'mapping', message })));
    }
    return checked.mapping;
  }
}
