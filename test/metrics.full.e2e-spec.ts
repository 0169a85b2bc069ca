import { metricsSuite } from './suites/metrics.suite';

metricsSuite(__filename, 'full');
