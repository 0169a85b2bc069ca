import { spreadsheetSuite } from './suites/spreadsheet.suite';

spreadsheetSuite(__filename, 'compat');
