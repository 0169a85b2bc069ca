import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ErrorCode } from './error-code';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export class ProblemItemDto {
  @ApiPropertyOptional({ description: 'The request field at fault (dotted path)' })
  field?: string;
  @ApiPropertyOptional({ description: '1-based line of a JSON array / JSON Lines body' })
  line?: number;
  @ApiPropertyOptional({ description: '1-based row of an uploaded sheet' })
  row?: number;
  @ApiProperty()
  message!: string;
}

/** RFC 7807 body of every error answer. */
export class ProblemDetailsDto {
  @ApiProperty({ example: 'urn:geo-visibility-engine:problem:not_found', description: 'A URN naming the problem; its last part is `code`' })
  type!: string;
  @ApiProperty({ example: 'Not found' })
  title!: string;
  @ApiProperty({ example: 404 })
  status!: number;
  @ApiProperty({ example: 'campaign 7c0e… does not exist' })
  detail!: string;
  @ApiProperty({ example: '/api/v1/campaigns/7c0e…' })
  instance!: string;
  @ApiProperty({ enum: ErrorCode, enumName: 'ErrorCode' })
  code!: ErrorCode;
  @ApiProperty({ description: 'The request id, also in the X-Request-Id header' })
  request_id!: string;
  @ApiPropertyOptional({ type: [ProblemItemDto] })
  errors?: ProblemItemDto[];
}

export const PROBLEM_TYPE_BASE = 'urn:geo-visibility-engine:problem:';
