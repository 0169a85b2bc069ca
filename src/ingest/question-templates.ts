import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export const PLACEHOLDERS = ['year', 'topic', 'topic_description', 'persona', 'persona_role', 'persona_domain', 'persona_tone'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

export interface QuestionTemplate {
  name: string;
  version: number;
  description: string;
  /** language subtag (en, de, …) → question patterns */
  questions: Record<string, string[]>;
}

const PLACEHOLDER = /\{([a-z_]+)\}/g;

/** Checks a parsed YAML document; answers the template or throws naming the file and the problem. */
export function validateTemplate(doc: unknown, source: string): QuestionTemplate {
  const fail = (why: string): never => {
    throw new Error(`question template ${source}: ${why}`);
  };
  if (typeof doc !== 'object' || doc === null) fail('not a mapping');
  const d = doc as Record<string, unknown>;
  if (typeof d.name !== 'string' || !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(d.name)) fail('name must be lower-case letters, digits, "-" or "_"');
  if (!Number.isInteger(d.version) || (d.version as number) < 1) fail('version must be a positive integer');
  if (typeof d.questions !== 'object' || d.questions === null || Array.isArray(d.questions)) fail('questions must map languages to lists');
  const questions: Record<string, string[]> = {};
  for (const [lang, list] of Object.entries(d.questions as Record<string, unknown>)) {
    if (!/^[a-z]{2,3}$/.test(lang)) fail(`"${lang}" is not a language subtag (en, de, …)`);
    if (!Array.isArray(list) || list.length === 0 || list.some((q) => typeof q !== 'string' || q.trim() === '')) fail(`questions.${lang} must be a non-empty list of strings`);
    for (const q of list as string[]) {
      for (const [, name] of q.matchAll(PLACEHOLDER)) if (!(PLACEHOLDERS as readonly string[]).includes(name)) fail(`unknown placeholder {${name}} in "${q}"`);
    }
    questions[lang] = (list as string[]).map((q) => q.trim());
  }
  if (!questions.en) fail('questions.en is required (the fallback language)');
  return { name: d.name as string, version: d.version as number, description: typeof d.description === 'string' ? d.description : '', questions };
}

/** Every `*.yaml` template in a directory, validated. */
export function loadTemplates(dir: string): QuestionTemplate[] {
  const templates = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .map((f) => validateTemplate(parse(readFileSync(join(dir, f), 'utf8')), f));
  const seen = new Set<string>();
  for (const t of templates) {
    const key = `${t.name}@${t.version}`;
    if (seen.has(key)) throw new Error(`question template ${key} is defined twice`);
    seen.add(key);
  }
  return templates;
}

/** `name` (the latest version) or `name@version`. */
export function findTemplate(templates: QuestionTemplate[], ref: string): QuestionTemplate | undefined {
  const [name, version] = ref.split('@');
  const candidates = templates.filter((t) => t.name === name && (version === undefined || String(t.version) === version));
  return candidates.sort((a, b) => b.version - a.version)[0];
}

/** Fills one pattern; undefined when a placeholder it uses has no value. */
export function fill(pattern: string, values: Partial<Record<Placeholder, string | null>>): string | undefined {
  let missing = false;
  const text = pattern.replace(PLACEHOLDER, (_m, name: string) => {
    const v = values[name as Placeholder];
    if (v === undefined || v === null || v.trim() === '') missing = true;
    return v ?? '';
  });
  return missing ? undefined : text.replace(/\s+/g, ' ').trim();
}

/** The patterns for a locale: its language subtag when the template has it, else English. */
export function patternsFor(template: QuestionTemplate, locale: string | null): string[] {
  const lang = (locale ?? 'en').split(/[-_]/)[0].toLowerCase();
  return template.questions[lang] ?? template.questions.en;
}
