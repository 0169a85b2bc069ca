import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class ImportErrorDto {
  @ApiPropertyOptional({ description: '1-based line of the body (array index + 1 for a JSON array)' })
  line?: number;
  @ApiPropertyOptional({ description: '1-based row of the sheet, as a spreadsheet program shows it' })
  row?: number;
  @ApiProperty()
  message!: string;
}

export class ImportResultDto {
  @ApiProperty({ description: 'questions created' })
  imported!: number;
  @ApiProperty({ description: 'valid questions that already existed (or came twice)' })
  skipped!: number;
  @ApiProperty({ type: [ImportErrorDto], description: 'items that could not be imported (at most 1,000 listed)' })
  errors!: ImportErrorDto[];
  @ApiPropertyOptional({ description: 'how many items failed, when more than the listed errors' })
  failed?: number;
}
