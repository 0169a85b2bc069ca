import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsNotEmpty, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { PROVIDER_NAMES } from '../../core/config/app-config';
import { PaginationQueryDto } from '../../core/pagination/pagination';
import { ITEM_STATUSES } from '../run-item.repository';

/** "true"/"false" in a query string; anything else stays as it is and fails @IsBoolean. */
const toBool = ({ value }: { value: unknown }): unknown => (value === 'true' ? true : value === 'false' ? false : value);

export class ListRunItemsQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ enum: ITEM_STATUSES })
  @IsOptional()
  @IsIn(ITEM_STATUSES)
  status?: (typeof ITEM_STATUSES)[number];

  @ApiPropertyOptional({ enum: PROVIDER_NAMES })
  @IsOptional()
  @IsIn(PROVIDER_NAMES as string[])
  provider?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all')
  topic_id?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all')
  persona_id?: string;

  @ApiPropertyOptional({ type: Boolean, description: 'Only answers that mention the brand (true) or that do not (false)' })
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  mentioned?: boolean;

  @ApiPropertyOptional({ description: 'Full-text search over answer texts (web-search syntax: words, "a phrase", -not, or)', maxLength: 500 })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  q?: string;
}
