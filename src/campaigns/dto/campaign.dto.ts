import { ApiProperty } from '@nestjs/swagger';
import type { Campaign } from '../campaign.repository';

export class CompetitorOutDto {
  @ApiProperty() name!: string;
  @ApiProperty({ type: [String] }) aliases!: string[];
  @ApiProperty({ type: [String] }) domains!: string[];
}

export class CampaignDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ nullable: true, type: String }) product_name!: string | null;
  @ApiProperty({ type: [String] }) brand_aliases!: string[];
  @ApiProperty({ type: [String] }) brand_domains!: string[];
  @ApiProperty({ type: [CompetitorOutDto] }) competitors!: CompetitorOutDto[];
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

export function toCampaignDto(c: Campaign): CampaignDto {
  return {
    id: c.id,
    name: c.name,
    product_name: c.productName,
    brand_aliases: c.brandAliases,
    brand_domains: c.brandDomains,
    competitors: c.competitors.map((x) => ({ name: x.name, aliases: x.aliases, domains: x.domains })),
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
}
