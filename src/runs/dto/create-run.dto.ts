import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsNotEmpty, IsObject, IsOptional, IsString, IsUUID, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { Trim } from '../../campaigns';
import { PROVIDER_NAMES } from '../../core/config/app-config';
import { PROMPT_VERSIONS } from '../../providers';

export const MAX_SAMPLES = 100;

export class ProviderSettingDto {
  @ApiProperty({ enum: PROVIDER_NAMES, example: 'openai' })
  @IsIn(PROVIDER_NAMES as string[])
  provider!: string;

  @ApiProperty({ example: 'gpt-5-mini', maxLength: 128 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  model!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { web_search: true },
    description: 'Provider switches (openai: web_search, search_context_size, user_location, max_output_tokens, reasoning_effort; perplexity: preset; gemini: resolve_redirects). Unknown ones are refused.',
  })
  @IsOptional()
  @IsObject()
  settings?: Record<string, unknown>;
}

export class RunFiltersDto {
  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'Only questions of these topics (empty: all)' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsUUID('all', { each: true })
  topic_ids?: string[];

  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'Only questions of these personas (empty: all)' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsUUID('all', { each: true })
  persona_ids?: string[];
}

/** A run's settings: what POST /runs takes, and what a schedule saves (without the campaign). */
export class RunSettingsDto {
  @ApiPropertyOptional({ example: 'weekly 2026-W47', maxLength: 200 })
  @IsOptional()
  @Trim()
  @IsString()
  @MaxLength(200)
  label?: string;

  @ApiProperty({ type: [ProviderSettingDto], description: 'One or more provider settings; each question is asked of each, `samples` times' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => ProviderSettingDto)
  providers!: ProviderSettingDto[];

  @ApiPropertyOptional({ default: 1, minimum: 1, maximum: MAX_SAMPLES, description: 'Times each question is asked of each provider setting (LLM answers vary)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_SAMPLES)
  samples?: number;

  @ApiPropertyOptional({ enum: PROMPT_VERSIONS, default: 'v1' })
  @IsOptional()
  @IsIn(PROMPT_VERSIONS)
  prompt_version?: string;

  @ApiPropertyOptional({ type: RunFiltersDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => RunFiltersDto)
  filters?: RunFiltersDto;
}

export class CreateRunDto extends RunSettingsDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all')
  campaign_id!: string;
}
