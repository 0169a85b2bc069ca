import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsFQDN, IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { IsOptionalNotNull, NormalizeDomains, Trim, TrimEach } from './dto-helpers';

export class CompetitorDto {
  @ApiProperty({ example: 'Globex', maxLength: 200 })
  @Trim()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiProperty({ type: [String], example: ['Globex CRM'], required: false, default: [] })
  @IsOptionalNotNull()
  @TrimEach()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  @MaxLength(200, { each: true })
  aliases: string[] = [];

  @ApiProperty({ type: [String], example: ['globex.example'], required: false, default: [] })
  @IsOptionalNotNull()
  @NormalizeDomains()
  @IsArray()
  @ArrayMaxSize(100)
  @IsFQDN({ require_tld: true }, { each: true, message: 'each value in domains must be a domain name such as example.com' })
  domains: string[] = [];
}
