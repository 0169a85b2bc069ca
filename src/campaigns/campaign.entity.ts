import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { JsonColumn } from '../core/database/json-column';

export interface Competitor {
  name: string;
  aliases: string[];
  domains: string[];
}

@Entity({ name: 'campaigns' })
export class CampaignEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  /** The name normalized (Unicode NFKC, case-folded, whitespace collapsed): one campaign per name. */
  @Index('UQ_campaigns_name_key', { unique: true })
  @Column({ name: 'name_key', type: 'varchar', length: 200 })
  nameKey!: string;

  @Column({ name: 'product_name', type: 'varchar', length: 200, nullable: true })
  productName!: string | null;

  @JsonColumn({ name: 'brand_aliases' })
  brandAliases!: string[];

  @JsonColumn({ name: 'brand_domains' })
  brandDomains!: string[];

  @JsonColumn()
  competitors!: Competitor[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
