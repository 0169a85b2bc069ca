import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsEmpty, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';

/** The text fields of the multipart upload (the file is the `file` part). */
export class IngestUploadDto {
  @ApiProperty({ type: 'string', format: 'binary', description: '.xlsx, .xls, .ods or .csv (UTF-8 with or without BOM, UTF-16, or Windows-1252)' })
  // Multer takes the file part out of the body; a text field named "file" is a mistake.
  @IsEmpty({ message: 'send the sheet as a file part named "file", not as a text field' })
  file?: unknown;

  @ApiProperty({ format: 'uuid', description: 'The campaign the questions belong to' })
  @IsUUID('all')
  campaign_id!: string;

  @ApiPropertyOptional({ description: 'JSON object, canonical field → header, e.g. {"question_text":"Frage"}; overrides the guess' })
  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  mapping?: string;

  @ApiPropertyOptional({ description: 'Name of a saved mapping profile (instead of mapping)' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  mapping_profile?: string;

  @ApiPropertyOptional({ description: 'Sheet to read (default: the first with a question column)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  sheet?: string;

  @ApiPropertyOptional({ type: 'boolean', default: false, description: 'true: answer the mapping, a preview and every row error; write nothing' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' || value === '1' ? true : value === 'false' || value === '0' || value === '' ? false : value))
  @IsBoolean()
  dry_run?: boolean;
}

export class NormalizedRowDto {
  @ApiProperty() row!: number;
  @ApiProperty() question_text!: string;
  @ApiProperty({ nullable: true, type: String }) topic_title!: string | null;
  @ApiProperty({ nullable: true, type: String }) topic_description!: string | null;
  @ApiProperty({ nullable: true, type: String }) persona_name!: string | null;
  @ApiProperty({ nullable: true, type: String }) persona_role!: string | null;
  @ApiProperty({ nullable: true, type: String }) persona_domain!: string | null;
  @ApiProperty({ nullable: true, type: String }) persona_locale!: string | null;
  @ApiProperty({ nullable: true, type: String }) persona_tone!: string | null;
}

export class RowErrorDto {
  @ApiProperty() row!: number;
  @ApiProperty() message!: string;
}

const MAPPING_SCHEMA = { type: 'object', additionalProperties: { type: 'string' }, example: { question_text: 'Question', topic_title: 'Topic title' } } as const;

export class IngestDryRunDto {
  @ApiProperty(MAPPING_SCHEMA) mapping!: Record<string, string>;
  @ApiProperty({ type: [String] }) unmapped_headers!: string[];
  @ApiProperty({ description: 'data rows found (blank rows skipped)' }) rows!: number;
  @ApiProperty({ type: [NormalizedRowDto], description: 'the first normalized rows' }) preview!: NormalizedRowDto[];
  @ApiProperty({ type: [RowErrorDto], description: 'every row-level error' }) errors!: RowErrorDto[];
  @ApiProperty({ enum: ['xlsx', 'xls', 'ods', 'csv'] }) format!: string;
  @ApiProperty({ nullable: true, type: String }) sheet!: string | null;
  @ApiProperty({ description: 'row of the header in the sheet (1-based)' }) header_row!: number;
  @ApiProperty({ nullable: true, type: String, description: 'CSV separator found' }) delimiter!: string | null;
  @ApiProperty({ enum: ['guessed', 'explicit', 'profile'] }) mapping_source!: string;
}

export class IngestResultDto {
  @ApiProperty({ format: 'uuid', description: 'the uploaded file\'s record' }) file_id!: string;
  @ApiProperty(MAPPING_SCHEMA) mapping!: Record<string, string>;
  @ApiProperty() imported!: number;
  @ApiProperty() skipped!: number;
  @ApiProperty({ type: [RowErrorDto] }) errors!: RowErrorDto[];
  @ApiPropertyOptional() failed?: number;
}
