import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsFQDN, IsNotEmpty, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { CompetitorDto } from './competitor.dto';
import { IsOptionalNotNull, NormalizeDomains, Trim, TrimEach } from './dto-helpers';

export class CreateCampaignDto {
  @ApiProperty({ example: 'Acme CRM visibility', maxLength: 200, description: 'Unique (case, spacing and Unicode form ignored)' })
  @Trim()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiPropertyOptional({ example: 'Acme CRM', maxLength: 200, nullable: true })
  @IsOptional()
  @Trim()
  @IsString()
  @MaxLength(200)
  product_name?: string | null;

  @ApiPropertyOptional({ type: [String], example: ['Acme', 'AcmeCRM'], default: [] })
  @IsOptionalNotNull()
  @TrimEach()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  @MaxLength(200, { each: true })
  brand_aliases?: string[];

  @ApiPropertyOptional({ type: [String], example: ['acme.example'], default: [], description: 'Host names; URLs are reduced to their host' })
  @IsOptionalNotNull()
  @NormalizeDomains()
  @IsArray()
  @ArrayMaxSize(100)
  @IsFQDN({ require_tld: true }, { each: true, message: 'each value in brand_domains must be a domain name such as example.com' })
  brand_domains?: string[];

  @ApiPropertyOptional({ type: [CompetitorDto], default: [] })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => CompetitorDto)
  competitors?: CompetitorDto[];
}
