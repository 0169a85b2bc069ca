import { HttpStatus, Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { AppConfig } from '../core/config/app-config';
import { AppException } from '../core/errors/app.exception';
import { ErrorCode } from '../core/errors/error-code';
import { ImportBodyError, readImportItems } from './import-body';
import { ImportCandidate, ImportItemParser } from './import-item';
import { ItemFailure, QuestionImportService, type ImportSummary } from './question-import.service';

function bodyProblem(err: ImportBodyError): AppException {
  switch (err.kind) {
    case 'too_large':
      return new AppException(ErrorCode.PayloadTooLarge, HttpStatus.PAYLOAD_TOO_LARGE, `${err.message}; split the import`);
    case 'empty':
      return new AppException(ErrorCode.ValidationFailed, HttpStatus.BAD_REQUEST, err.message);
    default:
      return new AppException(ErrorCode.MalformedBody, HttpStatus.BAD_REQUEST, `${err.message}; nothing was imported`, [
        { line: err.line, message: err.message },
      ]);
  }
}

/** Ingest's rules: agent imports (JSON array or JSON Lines), spreadsheets, templates. */
@Injectable()
export class IngestService {
  constructor(
    private readonly config: AppConfig,
    private readonly importer: QuestionImportService,
  ) {}

  /** POST /question-sets:import — streamed, validated item by item, written in one transaction. */
  async importQuestionSets(body: Readable): Promise<ImportSummary> {
    const parser = new ImportItemParser();
    async function* candidates(items: AsyncIterable<{ line: number; value?: unknown; error?: string }>): AsyncGenerator<ImportCandidate | ItemFailure> {
      for await (const item of items) {
        if (item.error !== undefined) {
          yield { at: item.line, error: item.error };
          continue;
        }
        const parsed = parser.parse(item.line, item.value);
        yield 'error' in parsed ? { at: item.line, error: parsed.error } : parsed;
      }
    }
    try {
      return await this.importer.import(candidates(readImportItems(body, this.config.http.bodyMaxBytes)), 'line');
    } catch (err) {
      if (err instanceof ImportBodyError) throw bodyProblem(err);
      throw err;
    }
  }
}
