import { catalogueSuite } from './suites/catalogue.suite';

catalogueSuite(__filename, 'compat', true);
