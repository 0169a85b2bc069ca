export type SpreadsheetErrorCode =
  | 'unsupported_type'
  | 'content_mismatch'
  | 'empty'
  | 'malformed'
  | 'too_large_uncompressed'
  | 'no_question_column'
  | 'sheet_not_found'
  | 'too_many_rows';

/**
 * Why an uploaded sheet cannot be read. The message is for the person who uploaded it and names
 * the place and the fix ("line 7: quote not closed ..."). `row`, when set, is the row as a
 * spreadsheet program shows it (for CSV the record number; see spreadsheet-reader.ts).
 */
export class SpreadsheetError extends Error {
  constructor(
    readonly code: SpreadsheetErrorCode,
    message: string,
    readonly row?: number,
  ) {
    super(message);
    this.name = 'SpreadsheetError';
  }
}
