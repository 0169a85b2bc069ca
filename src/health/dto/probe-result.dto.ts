import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class ProbeResultDto {
  @ApiProperty({ enum: ['ok', 'error'] })
  status!: 'ok' | 'error';

  @ApiProperty({ example: { db: 'up', redis: 'up' }, additionalProperties: { type: 'string', enum: ['up', 'down'] } })
  checks!: Record<string, 'up' | 'down'>;

  @ApiPropertyOptional({ example: { db: 'connect ECONNREFUSED 127.0.0.1:5432' }, additionalProperties: { type: 'string' } })
  errors?: Record<string, string>;
}
