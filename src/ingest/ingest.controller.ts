import { Body, Controller, Get, HttpCode, Post, Req, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBody, ApiConsumes, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiProblems } from '../core/http/api-problems.decorator';
import { GenerateQuestionsDto, GenerateResultDto, QuestionTemplateDto } from './dto/generate-questions.dto';
import { ImportItemDto, ImportQuestionDto } from './dto/import-item.dto';
import { ImportResultDto } from './dto/import-result.dto';
import { IngestDryRunDto, IngestResultDto, IngestUploadDto } from './dto/ingest-upload.dto';
import { SpreadsheetIngestService, type UploadedSheet } from './spreadsheet-ingest.service';
import { IngestService } from './ingest.service';
import { QuestionGenerationService } from './question-generation.service';
import type { ImportSummary } from './question-import.service';

/** Routes whose body the controller streams itself (the global JSON parser leaves them alone). */
export const STREAMED_BODY_ROUTES = ['/api/v1/question-sets:import'];

@ApiTags('ingest')
@ApiProblems()
@ApiExtraModels(ImportItemDto, ImportQuestionDto, IngestDryRunDto, IngestResultDto)
@Controller()
export class IngestController {
  constructor(
    private readonly ingest: IngestService,
    private readonly generation: QuestionGenerationService,
    private readonly sheets: SpreadsheetIngestService,
  ) {}

  @Post('questions\\:ingest')
  @HttpCode(200)
  @UseInterceptors(FileInterceptor('file'))
  @ApiOperation({
    summary: 'Upload a question sheet (.xlsx, .xls, .ods, .csv) into a campaign',
    description:
      'Headers are matched to the canonical fields (question_text, topic_title, topic_description, persona_name, persona_role, ' +
      'persona_domain, persona_locale, persona_tone) whatever their case, spacing or language, below any title rows; `mapping` or ' +
      '`mapping_profile` overrides the guess. dry_run=true answers the mapping, unmapped headers, row count, a preview and every ' +
      'row error, and writes nothing. Otherwise the questions are imported (existing ones skipped) and the file is recorded.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: IngestUploadDto })
  @ApiOkResponse({ description: 'IngestResultDto, or IngestDryRunDto with dry_run=true', schema: { oneOf: [{ $ref: getSchemaPath(IngestResultDto) }, { $ref: getSchemaPath(IngestDryRunDto) }] } })
  @ApiProblems(400, 404, 413, 415)
  ingestSheet(@UploadedFile() file: UploadedSheet | undefined, @Body() form: IngestUploadDto): Promise<IngestResultDto | IngestDryRunDto> {
    return this.sheets.ingest(file, form);
  }

  @Post('question-sets\\:import')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Import questions × personas from an agent',
    description:
      'A JSON array or JSON Lines of {campaign, topic, persona, question} items (each part may be a plain string). ' +
      'Campaigns, topics and personas are upserted by name; a question is created unless the campaign already has it for ' +
      'the same topic and persona (case, spacing and Unicode form ignored). Invalid items are reported by line and the ' +
      'others imported; a body that is not readable as a whole imports nothing. The same body posted twice imports nothing the second time.',
  })
  @ApiConsumes('application/json', 'application/x-ndjson', 'application/jsonl')
  @ApiBody({
    schema: { type: 'array', items: { $ref: getSchemaPath(ImportItemDto) } },
    description: 'JSON array, or one item per line (JSON Lines)',
  })
  @ApiOkResponse({ type: ImportResultDto })
  @ApiProblems(400, 409, 413, 415)
  importQuestionSets(@Req() req: Request): Promise<ImportSummary> {
    return this.ingest.importQuestionSets(req);
  }

  @Post('question-sets\\:generate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Generate questions from a template over topics × personas',
    description:
      'Expands a versioned YAML template over the campaign\'s topics (or topic_ids) and the personas (or persona_ids), in each ' +
      'persona\'s language when the template has it. Idempotent: questions the campaign already has are skipped.',
  })
  @ApiOkResponse({ type: GenerateResultDto })
  @ApiProblems(400, 404, 409, 413, 415)
  generate(@Body() dto: GenerateQuestionsDto): Promise<GenerateResultDto> {
    return this.generation.generate(dto);
  }

  @Get('question-templates')
  @ApiOperation({ summary: 'The question templates that /question-sets:generate can expand' })
  @ApiOkResponse({ type: [QuestionTemplateDto] })
  templates(): QuestionTemplateDto[] {
    return this.generation.list();
  }
}
