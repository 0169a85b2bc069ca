import { importSuite } from './suites/import.suite';

importSuite(__filename, 'full');
