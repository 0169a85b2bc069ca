import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

export class PaginationQueryDto {
  @ApiPropertyOptional({ default: DEFAULT_LIMIT, minimum: 1, maximum: MAX_LIMIT })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_LIMIT)
  limit: number = DEFAULT_LIMIT;

  @ApiPropertyOptional({ default: 0, minimum: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(2_147_483_647)
  offset: number = 0;
}

export interface PageRequest {
  limit: number;
  offset: number;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export function mapPage<A, B>(page: Page<A>, fn: (a: A) => B): Page<B> {
  return { ...page, items: page.items.map(fn) };
}

/** Swagger needs a concrete class per item type for `{items,total,limit,offset}`. */
export function PageDto<T>(item: new () => T): new () => Page<T> {
  class PageOf {
    @ApiProperty({ type: [item] })
    items!: T[];
    @ApiProperty()
    total!: number;
    @ApiProperty()
    limit!: number;
    @ApiProperty()
    offset!: number;
  }
  Object.defineProperty(PageOf, 'name', { value: `PageOf${item.name.replace(/Dto$/, '')}` });
  return PageOf;
}
