import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { JsonColumn } from '../core/database/json-column';

/** A saved column mapping (canonical field → header) that an upload can name. */
@Entity({ name: 'mapping_profiles' })
export class MappingProfileEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Index('UQ_mapping_profiles_name', { unique: true })
  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @JsonColumn()
  mapping!: Record<string, string>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
