/**
 * npm run eval:analysis [-- --json] [-- --file path/to/cases.jsonl] — scores the mention detector
 * (src/analysis/mentions.ts) against a hand-labelled set of answer texts.
 *
 * Each line of the file is one case: the tracked brand and competitors, an answer text, and the
 * expected result (`mentioned`: names of the tracked brands that are mentioned, in rank order;
 * `not_known`: brands that appear only in "I don't know / can't find X" statements). Every
 * (case, tracked brand) pair is scored: TP/FP/FN/TN on `mentioned`, precision, recall, F1; rank
 * accuracy over pairs both expected and detected as mentioned; not_known accuracy over pairs
 * expected or detected as not_known; the same figures per rule family; and every error with an
 * excerpt of the text around the brand. Prints a readable report (or JSON with --json) and exits 1
 * when precision, recall or rank accuracy is below THRESHOLDS, 2 on a usage or input error.
 */
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { detectMentions, type BrandMention, type TrackedBrand } from '../src/analysis/mentions';
import { analyzeAnswer } from '../src/analysis/visibility';

/** The labelled set scored by default (one JSON object per line). */
export const FIXTURE_PATH = resolve(__dirname, '../test/fixtures/analysis/labelled-answers.jsonl');

export const THRESHOLDS = { precision: 0.99, recall: 0.99, rank_accuracy: 0.99 } as const;

/** The rule families a case can be tagged with (its `rules`). */
export const RULE_FAMILIES = [
  'plain',
  'case_unicode',
  'diacritics',
  'word_boundary',
  'possessive',
  'markdown',
  'domain',
  'url_path',
  'ambiguous',
  'not_known',
  'not_known_multilingual',
  'negative_statement',
  'rank',
  'multilingual',
  'no_mention',
  'long',
] as const;

export interface LabelledCase {
  id: string;
  rules: string[];
  lang: string;
  brand: TrackedBrand;
  competitors: TrackedBrand[];
  text: string;
  expected: { mentioned: string[]; not_known: string[] };
}

export type Detector = (text: string, brands: TrackedBrand[]) => BrandMention[];

export interface PairState {
  mentioned: boolean;
  rank: number | null;
  not_known: boolean;
}

export type ErrorKind = 'FP' | 'FN' | 'rank' | 'not_known';

export interface PairError {
  id: string;
  brand: string;
  kinds: ErrorKind[];
  expected: PairState;
  detected: PairState;
  /** ~100 characters of the text around the brand's first occurrence (detected, else a raw match of a term). */
  excerpt: string;
}

export interface Scores {
  pairs: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface FamilyScores extends Scores {
  cases: number;
}

export interface EvalReport {
  cases: number;
  mentioned: Scores;
  rank: { pairs: number; correct: number; accuracy: number };
  not_known: { pairs: number; correct: number; accuracy: number };
  families: Record<string, FamilyScores>;
  /** Cases on which the detector threw (all their pairs count as detected "not mentioned"). */
  crashes: { id: string; message: string }[];
  errors: PairError[];
  passed: boolean;
}

// ---------------------------------------------------------------------------------------------
// Input

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

function toBrand(v: unknown, where: string): TrackedBrand {
  if (!isObject(v) || typeof v.name !== 'string' || !v.name.trim() || !isStringArray(v.aliases) || !isStringArray(v.domains)) {
    throw new Error(`${where}: a tracked brand needs a non-empty "name" and string arrays "aliases" and "domains"`);
  }
  return { name: v.name, aliases: v.aliases, domains: v.domains };
}

/** Parses and checks a JSONL labelled set; throws with the line number on the first malformed line. */
export function parseCases(jsonl: string, source = 'input'): LabelledCase[] {
  const cases: LabelledCase[] = [];
  jsonl.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    const where = `${source}:${i + 1}`;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (err) {
      throw new Error(`${where}: invalid JSON (${(err as Error).message})`);
    }
    if (!isObject(v) || typeof v.id !== 'string' || !v.id || typeof v.text !== 'string' || typeof v.lang !== 'string') {
      throw new Error(`${where}: a case needs string "id", "lang" and "text"`);
    }
    if (!isStringArray(v.rules) || !Array.isArray(v.competitors) || !isObject(v.expected)) {
      throw new Error(`${where}: a case needs "rules" (strings), "competitors" (array) and "expected" (object)`);
    }
    const { mentioned, not_known: notKnown } = v.expected;
    if (!isStringArray(mentioned) || !isStringArray(notKnown)) {
      throw new Error(`${where}: "expected" needs string arrays "mentioned" and "not_known"`);
    }
    cases.push({
      id: v.id,
      rules: v.rules,
      lang: v.lang,
      brand: toBrand(v.brand, `${where} brand`),
      competitors: v.competitors.map((c, j) => toBrand(c, `${where} competitors[${j}]`)),
      text: v.text,
      expected: { mentioned, not_known: notKnown },
    });
  });
  return cases;
}

export function loadCases(file: string = FIXTURE_PATH): LabelledCase[] {
  return parseCases(readFileSync(file, 'utf8'), relative(process.cwd(), file) || file);
}

// ---------------------------------------------------------------------------------------------
// Scoring

const ratio = (num: number, den: number): number => (den === 0 ? 1 : num / den);

function scores(c: { tp: number; fp: number; fn: number; tn: number }): Scores {
  // Conventions for empty denominators: no detected positives → precision 1; no expected positives → recall 1.
  const precision = ratio(c.tp, c.tp + c.fp);
  const recall = ratio(c.tp, c.tp + c.fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { pairs: c.tp + c.fp + c.fn + c.tn, ...c, precision, recall, f1 };
}

/** Offset of the brand's first raw (case-insensitive) term occurrence, for excerpts only; -1 if none. */
function rawOffset(text: string, brand: TrackedBrand): number {
  const lower = text.toLowerCase();
  let best = -1;
  for (const term of [brand.name, ...brand.aliases, ...brand.domains]) {
    const t = term.trim().toLowerCase();
    if (!t) continue;
    let at = lower.indexOf(t);
    if (at < 0) at = lower.indexOf(t.normalize('NFKC'));
    if (at >= 0 && (best < 0 || at < best)) best = at;
  }
  return best;
}

export function excerptAt(text: string, offset: number, width = 100): string {
  const start = Math.max(0, Math.min(offset - Math.floor(width * 0.4), text.length - width));
  const end = Math.min(text.length, start + width);
  const body = text.slice(start, end).replace(/\s+/g, ' ');
  return `${start > 0 ? '…' : ''}${body}${end < text.length ? '…' : ''}`;
}

function detectedFor(result: BrandMention[], brands: TrackedBrand[], i: number): BrandMention | undefined {
  const byIndex = result[i];
  if (byIndex && byIndex.name === brands[i].name) return byIndex;
  return result.find((m) => m.name === brands[i].name);
}

/** Scores `detect` on `cases`; pure apart from calling the detector. */
export function evaluate(cases: LabelledCase[], detect: Detector = detectMentions): EvalReport {
  const total = { tp: 0, fp: 0, fn: 0, tn: 0 };
  const fam = new Map<string, { cases: number; tp: number; fp: number; fn: number; tn: number }>();
  const rank = { pairs: 0, correct: 0 };
  const notKnown = { pairs: 0, correct: 0 };
  const errors: PairError[] = [];
  const crashes: { id: string; message: string }[] = [];

  for (const c of cases) {
    const brands = [c.brand, ...c.competitors];
    let result: BrandMention[] = [];
    try {
      result = detect(c.text, brands);
    } catch (err) {
      crashes.push({ id: c.id, message: err instanceof Error ? err.message : String(err) });
    }
    const families = [...new Set(c.rules)].map((r) => {
      const f = fam.get(r) ?? { cases: 0, tp: 0, fp: 0, fn: 0, tn: 0 };
      f.cases++;
      fam.set(r, f);
      return f;
    });
    brands.forEach((b, i) => {
      const at = c.expected.mentioned.indexOf(b.name);
      const expected: PairState = { mentioned: at >= 0, rank: at >= 0 ? at + 1 : null, not_known: c.expected.not_known.includes(b.name) };
      const d = detectedFor(result, brands, i);
      const detected: PairState = { mentioned: d?.mentioned === true, rank: d?.mentioned ? d.rank : null, not_known: d?.not_known === true };
      const cell = expected.mentioned ? (detected.mentioned ? 'tp' : 'fn') : detected.mentioned ? 'fp' : 'tn';
      total[cell]++;
      for (const f of families) f[cell]++;

      const kinds: ErrorKind[] = [];
      if (cell === 'fp') kinds.push('FP');
      if (cell === 'fn') kinds.push('FN');
      if (cell === 'tp') {
        rank.pairs++;
        if (detected.rank === expected.rank) rank.correct++;
        else kinds.push('rank');
      }
      if (expected.not_known || detected.not_known) {
        notKnown.pairs++;
        if (expected.not_known && detected.not_known) notKnown.correct++;
        else kinds.push('not_known');
      }
      if (kinds.length) {
        const offset = d?.first_offset ?? rawOffset(c.text, b);
        errors.push({ id: c.id, brand: b.name, kinds, expected, detected, excerpt: excerptAt(c.text, Math.max(0, offset)) });
      }
    });
  }

  const mentioned = scores(total);
  const rankAccuracy = ratio(rank.correct, rank.pairs);
  const families: Record<string, FamilyScores> = {};
  for (const name of [...RULE_FAMILIES, ...[...fam.keys()].filter((k) => !(RULE_FAMILIES as readonly string[]).includes(k)).sort()]) {
    const f = fam.get(name);
    if (f) families[name] = { cases: f.cases, ...scores(f) };
  }
  return {
    cases: cases.length,
    mentioned,
    rank: { ...rank, accuracy: rankAccuracy },
    not_known: { ...notKnown, accuracy: ratio(notKnown.correct, notKnown.pairs) },
    families,
    crashes,
    errors,
    passed: mentioned.precision >= THRESHOLDS.precision && mentioned.recall >= THRESHOLDS.recall && rankAccuracy >= THRESHOLDS.rank_accuracy,
  };
}

// ---------------------------------------------------------------------------------------------
// Report

const fmt = (x: number): string => x.toFixed(4);
const state = (s: PairState): string => (s.not_known ? 'not_known' : s.mentioned ? `mentioned #${s.rank ?? '?'}` : 'absent');

export function formatReport(r: EvalReport, source: string): string {
  const m = r.mentioned;
  const lines = [
    `eval:analysis — ${r.cases} cases, ${m.pairs} (case, brand) pairs — ${source}`,
    '',
    `mentioned   TP ${m.tp}  FP ${m.fp}  FN ${m.fn}  TN ${m.tn}   precision ${fmt(m.precision)}  recall ${fmt(m.recall)}  F1 ${fmt(m.f1)}`,
    `rank        ${r.rank.correct}/${r.rank.pairs} correct   accuracy ${fmt(r.rank.accuracy)}`,
    `not_known   ${r.not_known.correct}/${r.not_known.pairs} correct   accuracy ${fmt(r.not_known.accuracy)}`,
    '',
    `${'family'.padEnd(24)}${'cases'.padStart(6)}${'pairs'.padStart(7)}${'TP'.padStart(6)}${'FP'.padStart(5)}${'FN'.padStart(5)}${'precision'.padStart(11)}${'recall'.padStart(9)}`,
  ];
  for (const [name, f] of Object.entries(r.families)) {
    lines.push(
      `${name.padEnd(24)}${String(f.cases).padStart(6)}${String(f.pairs).padStart(7)}${String(f.tp).padStart(6)}${String(f.fp).padStart(5)}${String(f.fn).padStart(5)}${fmt(f.precision).padStart(11)}${fmt(f.recall).padStart(9)}`,
    );
  }
  if (r.crashes.length) {
    lines.push('', `detector threw on ${r.crashes.length} case(s):`);
    for (const c of r.crashes) lines.push(`  ${c.id}: ${c.message}`);
  }
  lines.push('', r.errors.length ? `errors (${r.errors.length}):` : 'errors: none');
  for (const e of r.errors) {
    lines.push(`  ${e.id}  ${e.brand}  [${e.kinds.join(',')}]  expected ${state(e.expected)}, detected ${state(e.detected)}`, `      "${e.excerpt}"`);
  }
  lines.push(
    '',
    `${r.passed ? 'PASS' : 'FAIL'} (precision ≥ ${THRESHOLDS.precision}, recall ≥ ${THRESHOLDS.recall}, rank accuracy ≥ ${THRESHOLDS.rank_accuracy})`,
  );
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// CLI

export function parseArgs(argv: string[]): { json: boolean; file: string } {
  let json = false;
  let file = FIXTURE_PATH;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') json = true;
    else if (a === '--file') {
      const v = argv[++i];
      if (!v) throw new Error('--file needs a path');
      file = resolve(v);
    } else if (a.startsWith('--file=')) file = resolve(a.slice('--file='.length));
    else throw new Error(`unknown argument ${a} (usage: eval-analysis [--json] [--file cases.jsonl])`);
  }
  return { json, file };
}

/**
 * What the whole analysis costs an answer (it runs on the worker's hot path): analyzeAnswer over
 * every case, after one warm-up round, with two citations each (one to the brand's domain).
 */
function analysisSpeed(cases: LabelledCase[], rounds = 5): { rounds: number; ms_per_answer: number } {
  const once = (): void => {
    for (const c of cases) {
      const own = c.brand.domains[0] ?? 'example.com';
      analyzeAnswer({ brand: c.brand, competitors: c.competitors, text: c.text, citations: [{ url: `https://${own}/pricing`, domain: own, cited_text: c.text.slice(0, 60) }, { url: 'https://www.g2.com/compare', domain: 'g2.com' }] });
    }
  };
  once();
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) once();
  return { rounds, ms_per_answer: Number(process.hrtime.bigint() - t0) / 1e6 / (rounds * Math.max(1, cases.length)) };
}

function main(): number {
  let args: { json: boolean; file: string };
  let cases: LabelledCase[];
  try {
    args = parseArgs(process.argv.slice(2));
    cases = loadCases(args.file);
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    return 2;
  }
  const report = evaluate(cases);
  const source = relative(process.cwd(), args.file) || args.file;
  const speed = analysisSpeed(cases);
  console.log(args.json ? JSON.stringify({ file: source, thresholds: THRESHOLDS, ...report, speed }, null, 2) : formatReport(report, source));
  if (!args.json) console.log(`\nspeed: the full analysis (analyzeAnswer: mentions, sentiment, citations) of these answers, ${speed.rounds} rounds: ${speed.ms_per_answer.toFixed(3)} ms an answer`);
  return report.passed ? 0 : 1;
}

if (require.main === module) process.exitCode = main();
