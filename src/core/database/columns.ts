import { Column, ColumnOptions, ValueTransformer } from 'typeorm';

/** numeric comes back from pg as a string to keep precision; costs are small enough for a JS number. */
const numericTransformer: ValueTransformer = {
  to: (v: unknown) => v,
  from: (v: unknown) => (v === null || v === undefined ? v : Number(v)),
};

export const NumericColumn = (precision: number, scale: number, options: ColumnOptions = {}): PropertyDecorator =>
  Column({ ...options, type: 'numeric', precision, scale, transformer: numericTransformer });

/** bigint comes back as a string; byte sizes and counters fit in a JS number. */
const bigintTransformer: ValueTransformer = {
  to: (v: unknown) => v,
  from: (v: unknown) => (v === null || v === undefined ? v : Number(v)),
};

export const BigIntColumn = (options: ColumnOptions = {}): PropertyDecorator =>
  Column({ ...options, type: 'bigint', transformer: bigintTransformer });

export const TimestampColumn = (options: ColumnOptions = {}): PropertyDecorator =>
  Column({ ...options, type: 'timestamptz' });
