import { runsSuite } from './suites/runs.suite';

runsSuite(__filename, 'compat');
