import { cleanText } from '../../core/text/normalize';
import { CANONICAL_FIELDS, type CanonicalField, type ColumnMapping } from './canonical-fields';
import { normalizeHeader } from './column-mapping';
import type { ParsedSheet } from './spreadsheet-reader';

export interface NormalizedRow {
  row: number;
  question_text: string;
  topic_title: string | null;
  topic_description: string | null;
  persona_name: string | null;
  persona_role: string | null;
  persona_domain: string | null;
  persona_locale: string | null;
  persona_tone: string | null;
}

export interface RowError {
  row: number;
  message: string;
}

/** The catalogue's column limits (CreateQuestionDto, CreateTopicDto, CreatePersonaDto). */
export const FIELD_LIMITS: Record<CanonicalField, number> = {
  question_text: 5000,
  topic_title: 300,
  topic_description: 5000,
  persona_name: 200,
  persona_role: 200,
  persona_domain: 200,
  persona_locale: 35,
  persona_tone: 100,
};

const LABEL: Record<CanonicalField, string> = {
  question_text: 'question',
  topic_title: 'topic title',
  topic_description: 'topic description',
  persona_name: 'persona name',
  persona_role: 'persona role',
  persona_domain: 'persona domain',
  persona_locale: 'persona locale',
  persona_tone: 'persona tone',
};

/** Fields whose line breaks mean something; the others are names and collapse to one line. */
const MULTILINE = new Set<CanonicalField>(['question_text', 'topic_description']);
const PERSONA_ATTRIBUTES = ['persona_role', 'persona_domain', 'persona_locale', 'persona_tone'] as const;

/**
 * Turns sheet rows into catalogue rows under a mapping. A row whose mapped cells are all empty
 * is skipped without a word (a spacer, or a row of notes in unmapped columns); any other row is
 * either returned or reported once, with everything wrong with it in one message, so a row counts
 * once as failed. Rules a sheet cannot express otherwise:
 * - a topic description needs a topic title;
 * - a persona role without a persona name names the persona (a "Role" column is how many sheets
 *   say who asks); persona domain, locale or tone with neither need a persona name: guessing one
 *   from them would create personas nobody asked for;
 * - the persona locale becomes a BCP 47 tag ("de_DE" → "de-DE", "Deutsch" → "de"), or the row
 *   fails naming the value.
 * Duplicate questions are not this step's business: the importer skips them.
 */
export function normalizeRows(sheet: ParsedSheet, mapping: ColumnMapping): { rows: NormalizedRow[]; errors: RowError[] } {
  const rows: NormalizedRow[] = [];
  const errors: RowError[] = [];
  const columns = new Map<CanonicalField, number>();
  for (const field of CANONICAL_FIELDS) {
    const header = mapping[field];
    if (header === undefined) continue;
    let index = sheet.headers.indexOf(header);
    if (index < 0) index = sheet.headers.findIndex((h) => normalizeHeader(h) === normalizeHeader(header));
    if (index < 0) {
      errors.push({ row: sheet.headerRowNumber, message: `row ${sheet.headerRowNumber}: the column "${header}" mapped to ${field} is not in the header` });
      continue;
    }
    columns.set(field, index);
  }
  if (!columns.has('question_text')) {
    if (mapping.question_text === undefined) {
      errors.push({ row: sheet.headerRowNumber, message: `row ${sheet.headerRowNumber}: no column is mapped to question_text` });
    }
    return { rows, errors };
  }

  for (const { rowNumber, cells } of sheet.rows) {
    const values: Partial<Record<CanonicalField, string>> = {};
    const problems: string[] = [];
    for (const [field, index] of columns) {
      const raw = cells[index] ?? '';
      const limit = FIELD_LIMITS[field];
      // Cleaning only ever shortens; a cell this far over its limit is refused before the work.
      if (raw.length > limit * 4 + 100) {
        problems.push(`${LABEL[field]} is longer than ${limit} characters (${raw.length})`);
        continue;
      }
      const value = clean(raw, MULTILINE.has(field));
      if (!value) continue;
      if (field !== 'persona_locale' && value.length > limit) {
        problems.push(`${LABEL[field]} is longer than ${limit} characters (${value.length})`);
      }
      values[field] = value;
    }
    if (Object.keys(values).length === 0 && problems.length === 0) continue;

    if (!values.question_text && !problems.some((p) => p.startsWith('question '))) problems.unshift('question is empty');
    if (values.topic_description && !values.topic_title) problems.push('topic description given without a topic title');
    if (!values.persona_name && values.persona_role) values.persona_name = values.persona_role;
    const orphans = PERSONA_ATTRIBUTES.filter((f) => values[f]);
    if (orphans.length && !values.persona_name) {
      problems.push(`${orphans.map((f) => LABEL[f].replace('persona ', '')).join(', ')} given without a persona name`);
    }
    let locale: string | null = null;
    if (values.persona_locale) {
      locale = normalizeLocale(values.persona_locale);
      if (locale === null) {
        problems.push(`persona locale "${truncate(values.persona_locale, 40)}" is not a language tag or language name (write e.g. en-US, de or German)`);
      }
    }
    if (problems.length) {
      errors.push({ row: rowNumber, message: `row ${rowNumber}: ${problems.join('; ')}` });
      continue;
    }
    rows.push({
      row: rowNumber,
      question_text: values.question_text ?? '',
      topic_title: values.topic_title ?? null,
      topic_description: values.topic_description ?? null,
      persona_name: values.persona_name ?? null,
      persona_role: values.persona_role ?? null,
      persona_domain: values.persona_domain ?? null,
      persona_locale: locale,
      persona_tone: values.persona_tone ?? null,
    });
  }
  return { rows, errors };
}

function clean(raw: string, multiline: boolean): string {
  if (!multiline) return cleanText(raw.replace(/\s+/g, ' '));
  return cleanText(raw.replace(/\r\n?/g, '\n'))
    .split('\n')
    .map((line) => line.trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n');
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

// ---------------------------------------------------------------------------------------------
// Locales

/** The catalogue's own check on a persona locale (CreatePersonaDto). */
const CATALOGUE_TAG = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$/;

/*
 * Language and region names come from ICU through Intl.DisplayNames rather than a table of our
 * own: it knows every language's name in every language, so "Französisch", "francés" and
 * "français" need no maintenance here.
 */
const NAME_LANGUAGES = ['en', 'de', 'fr', 'es', 'it', 'pt', 'nl'];
const LANGUAGES = [
  'en', 'de', 'fr', 'es', 'it', 'pt', 'nl', 'pl', 'sv', 'da', 'no', 'nb', 'nn', 'fi', 'is', 'cs', 'sk', 'hu', 'ro',
  'bg', 'el', 'tr', 'ru', 'uk', 'be', 'sr', 'hr', 'bs', 'sl', 'mk', 'sq', 'et', 'lv', 'lt', 'ga', 'cy', 'ca', 'eu',
  'gl', 'lb', 'mt', 'ja', 'zh', 'ko', 'ar', 'he', 'fa', 'hi', 'bn', 'ur', 'ta', 'te', 'mr', 'id', 'ms', 'th', 'vi',
  'tl', 'fil', 'sw', 'af', 'zu', 'am', 'ka', 'hy', 'az', 'kk', 'uz', 'mn', 'ne', 'si', 'km', 'lo', 'my',
];
/** Regional variants people name in words ("British English", "Deutsch (Schweiz)", "Flemish"). */
const VARIANTS = [
  'en-US', 'en-GB', 'en-AU', 'en-CA', 'en-IE', 'en-IN', 'en-NZ', 'en-ZA', 'de-DE', 'de-AT', 'de-CH', 'fr-FR', 'fr-CA',
  'fr-BE', 'fr-CH', 'es-ES', 'es-MX', 'es-AR', 'es-CO', 'es-US', 'es-419', 'pt-BR', 'pt-PT', 'it-IT', 'it-CH',
  'nl-NL', 'nl-BE', 'zh-CN', 'zh-TW', 'zh-HK', 'zh-Hans', 'zh-Hant',
];
const REGIONS = [
  'US', 'GB', 'DE', 'AT', 'CH', 'FR', 'BE', 'LU', 'CA', 'ES', 'MX', 'AR', 'CO', 'CL', 'PE', 'BR', 'PT', 'IT', 'NL',
  'IE', 'AU', 'NZ', 'IN', 'ZA', 'SE', 'NO', 'DK', 'FI', 'PL', 'CZ', 'JP', 'CN', 'TW', 'HK', 'KR', 'SG', 'AE', '419',
];

let names: { languages: Map<string, string>; regions: Map<string, string> } | null = null;

function nameTables(): { languages: Map<string, string>; regions: Map<string, string> } {
  if (names) return names;
  const languages = new Map<string, string>();
  const regions = new Map<string, string>();
  const put = (map: Map<string, string>, name: string | undefined, code: string): void => {
    const key = name ? normalizeHeader(name) : '';
    if (key && !map.has(key)) map.set(key, code);
  };
  const display = (locale: string, type: 'language' | 'region', style: 'standard' | 'dialect' = 'dialect') => {
    try {
      return new Intl.DisplayNames([locale], { type, fallback: 'none', languageDisplay: style });
    } catch {
      return null;
    }
  };
  for (const lang of [...NAME_LANGUAGES, ...LANGUAGES]) {
    const byName = display(lang, 'language');
    const standard = display(lang, 'language', 'standard');
    const byRegion = display(lang, 'region');
    for (const code of LANGUAGES) {
      if (NAME_LANGUAGES.includes(lang) || lang === code) put(languages, byName?.of(code), code);
    }
    if (!NAME_LANGUAGES.includes(lang)) continue;
    for (const code of VARIANTS) {
      put(languages, byName?.of(code), code);
      put(languages, standard?.of(code), code);
    }
    for (const code of REGIONS) put(regions, byRegion?.of(code), code);
  }
  // Names people use that ICU files under another name.
  for (const [name, code] of [
    ['uk', 'GB'], ['england', 'GB'], ['great britain', 'GB'], ['usa', 'US'], ['america', 'US'], ['latam', '419'],
  ] as const) {
    put(regions, name, code);
  }
  for (const [name, code] of [['mandarin', 'zh'], ['farsi', 'fa'], ['brazilian', 'pt-BR'], ['castellano', 'es']] as const) {
    put(languages, name, code);
  }
  names = { languages, regions };
  return names;
}

let knownLanguage: Intl.DisplayNames | null = null;
let knownRegion: Intl.DisplayNames | null = null;

/** A canonical tag whose language (and region) ICU knows, within the catalogue's pattern; else null. */
function canonicalTag(tag: string): string | null {
  let canonical: string;
  try {
    [canonical] = Intl.getCanonicalLocales(tag);
  } catch {
    return null;
  }
  if (!canonical || canonical.length > FIELD_LIMITS.persona_locale || !CATALOGUE_TAG.test(canonical)) return null;
  const locale = new Intl.Locale(canonical);
  knownLanguage ??= new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' });
  knownRegion ??= new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
  if (knownLanguage.of(locale.language) === undefined) return null;
  if (locale.region && (locale.region === 'ZZ' || knownRegion.of(locale.region) === undefined)) return null;
  return canonical;
}

function regionCode(text: string): string | null {
  const t = text.trim();
  if (/^[A-Za-z]{2}$/.test(t)) return t.toUpperCase() === 'UK' ? 'GB' : t.toUpperCase();
  if (/^\d{3}$/.test(t)) return t;
  return nameTables().regions.get(normalizeHeader(t)) ?? null;
}

/**
 * A persona locale as a BCP 47 tag: "de_DE", "DE-de" → "de-DE"; "de" → "de"; "de_DE.UTF-8" →
 * "de-DE"; "en-UK" → "en-GB"; language names in the common European languages and the
 * language's own ("English", "Deutsch", "Französisch", "Español", "British English",
 * "Englisch (US)") → their tag. Null for anything else.
 */
export function normalizeLocale(value: string): string | null {
  const text = value.trim();
  if (!text) return null;
  // POSIX locales carry an encoding and a modifier ("de_DE.UTF-8@euro"); tags use "-".
  const tagLike = text.replace(/[.@].*$/, '').replace(/_/g, '-');
  // A bare "UK" in a language column means the country far more often than Ukrainian ("uk");
  // refusing it makes the sheet say en-GB or uk-UA.
  if (/^uk$/i.test(tagLike)) return null;
  if (/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(tagLike)) {
    const tag = canonicalTag(tagLike.replace(/-uk$/i, '-GB'));
    if (tag) return tag;
  }
  const tables = nameTables();
  const byName = tables.languages.get(normalizeHeader(text));
  if (byName) return byName;
  // "Englisch (US)", "English [UK]", "Deutsch - Schweiz"
  const parts = /^(.+?)\s*(?:[([]\s*([^)\]]+?)\s*[)\]]|\s[-–/]\s*(.+))$/.exec(text);
  if (parts) {
    const [, langText, bracketed, dashed] = parts;
    const lang = tables.languages.get(normalizeHeader(langText)) ?? canonicalTag(langText.trim());
    const region = regionCode(bracketed ?? dashed ?? '');
    if (lang && region && !lang.includes('-')) return canonicalTag(`${lang}-${region}`);
  }
  return null;
}
