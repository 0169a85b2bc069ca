import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { JsonColumn } from '../core/database/json-column';

@Entity({ name: 'personas' })
export class PersonaEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  /** Normalized name: personas are shared across campaigns, one per name. */
  @Index('UQ_personas_name_key', { unique: true })
  @Column({ name: 'name_key', type: 'varchar', length: 200 })
  nameKey!: string;

  @Column({ type: 'varchar', length: 200, nullable: true })
  role!: string | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  domain!: string | null;

  @Column({ type: 'varchar', length: 35, nullable: true })
  locale!: string | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  tone!: string | null;

  @JsonColumn()
  extra!: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
