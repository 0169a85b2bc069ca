import { exportsSuite } from './suites/exports.suite';

exportsSuite(__filename, 'full');
