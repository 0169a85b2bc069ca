import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { Trim } from './dto-helpers';

export class CreateTopicDto {
  @ApiProperty({ example: 'CRM for agencies', maxLength: 300, description: 'Unique within the campaign' })
  @Trim()
  @IsString()
  @IsNotEmpty()
  @MaxLength(300)
  title!: string;

  @ApiPropertyOptional({ example: 'Choosing a CRM for service businesses', maxLength: 5000, nullable: true })
  @IsOptional()
  @Trim()
  @IsString()
  @MaxLength(5000)
  description?: string | null;
}
