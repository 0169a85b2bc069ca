import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { BrandMention, TrackedBrand } from '../src/analysis/mentions';
import { evaluate, excerptAt, FIXTURE_PATH, formatReport, loadCases, parseArgs, parseCases, RULE_FAMILIES, THRESHOLDS, type LabelledCase } from './eval-analysis';

const brand = (name: string): TrackedBrand => ({ name, aliases: [], domains: [] });
const labelled = (id: string, rules: string[], names: string[], text: string, mentioned: string[], notKnown: string[] = []): LabelledCase => ({
  id,
  rules,
  lang: 'en',
  brand: brand(names[0]),
  competitors: names.slice(1).map(brand),
  text,
  expected: { mentioned, not_known: notKnown },
});

/** A fake detector: per text, which brands it "finds" (in its rank order) and which it calls not_known. */
function fakeDetector(answers: Record<string, { found: string[]; notKnown?: string[] }>) {
  return (text: string, brands: TrackedBrand[]): BrandMention[] => {
    const a = answers[text] ?? { found: [] };
    return brands.map((b) => {
      const at = a.found.indexOf(b.name);
      return {
        name: b.name,
        mentioned: at >= 0,
        rank: at >= 0 ? at + 1 : null,
        count: at >= 0 ? 1 : 0,
        first_offset: at >= 0 ? Math.max(0, text.indexOf(b.name)) : null,
        not_known: a.notKnown?.includes(b.name) ?? false,
      };
    });
  };
}

describe('eval-analysis: scoring arithmetic', () => {
  const cases = [
    // TP A (rank 1 ok), TP B (rank 2 ok), TN C.
    labelled('t-1', ['plain'], ['A', 'B', 'C'], 'A then B.', ['A', 'B']),
    // TP B (expected #1, detected #2: rank error), FP C (detected #1), FN A.
    labelled('t-2', ['plain', 'rank'], ['A', 'B', 'C'], 'B then A; C is elsewhere.', ['B', 'A']),
    // not_known D expected and detected; TN D. E expected mentioned, detected not_known: FN + not_known error.
    labelled('t-3', ['not_known'], ['D', 'E'], "I don't know D. E is fine.", ['E'], ['D']),
  ];
  const detect = fakeDetector({
    'A then B.': { found: ['A', 'B'] },
    'B then A; C is elsewhere.': { found: ['C', 'B'] },
    "I don't know D. E is fine.": { found: [], notKnown: ['D', 'E'] },
  });
  const r = evaluate(cases, detect);

  it('counts TP/FP/FN/TN over every (case, tracked brand) pair', () => {
    expect(r.cases).toBe(3);
    expect(r.mentioned).toMatchObject({ pairs: 8, tp: 3, fp: 1, fn: 2, tn: 2 });
    expect(r.mentioned.precision).toBeCloseTo(3 / 4, 10);
    expect(r.mentioned.recall).toBeCloseTo(3 / 5, 10);
    expect(r.mentioned.f1).toBeCloseTo((2 * 0.75 * 0.6) / (0.75 + 0.6), 10);
  });

  it('scores rank only where both sides say mentioned, and counts a wrong rank', () => {
    expect(r.rank).toEqual({ pairs: 3, correct: 2, accuracy: 2 / 3 });
  });

  it('scores not_known over pairs where either side says not_known', () => {
    expect(r.not_known).toEqual({ pairs: 2, correct: 1, accuracy: 0.5 });
  });

  it('breaks the figures down per rule family', () => {
    expect(r.families.plain).toMatchObject({ cases: 2, pairs: 6, tp: 3, fp: 1, fn: 1, tn: 1 });
    expect(r.families.rank).toMatchObject({ cases: 1, pairs: 3, tp: 1, fp: 1, fn: 1, tn: 0, precision: 0.5, recall: 0.5 });
    expect(r.families.not_known).toMatchObject({ cases: 1, pairs: 2, tp: 0, fp: 0, fn: 1, tn: 1, precision: 1, recall: 0 });
  });

  it('lists every error with both sides and an excerpt', () => {
    const summary = r.errors.map((e) => `${e.id}/${e.brand}:${e.kinds.join('+')}`);
    expect(summary).toEqual(['t-2/A:FN', 't-2/B:rank', 't-2/C:FP', 't-3/E:FN+not_known']);
    const rankError = r.errors.find((e) => e.kinds.includes('rank'));
    expect(rankError?.expected).toEqual({ mentioned: true, rank: 1, not_known: false });
    expect(rankError?.detected).toEqual({ mentioned: true, rank: 2, not_known: false });
    expect(r.errors.find((e) => e.brand === 'A')?.excerpt).toContain('B then A');
  });

  it('fails below the thresholds and passes a perfect detector', () => {
    expect(r.passed).toBe(false);
    const perfect = fakeDetector({ 'A then B.': { found: ['A', 'B'] }, 'B then A; C is elsewhere.': { found: ['B', 'A'] }, "I don't know D. E is fine.": { found: ['E'], notKnown: ['D'] } });
    const p = evaluate(cases, perfect);
    expect(p).toMatchObject({ passed: true, errors: [], mentioned: { precision: 1, recall: 1 }, rank: { accuracy: 1 }, not_known: { accuracy: 1 } });
    expect(formatReport(p, 'synthetic')).toContain('PASS');
    expect(formatReport(r, 'synthetic')).toContain('t-2  C  [FP]  expected absent, detected mentioned #1');
  });

  it('records a detector that throws as a crash with nothing detected', () => {
    const c = evaluate([cases[0]], () => {
      throw new Error('boom');
    });
    expect(c.crashes).toEqual([{ id: 't-1', message: 'boom' }]);
    expect(c.mentioned).toMatchObject({ tp: 0, fn: 2, tn: 1 });
  });

  it('matches detector results by name when they come back in another order', () => {
    const reversed = (text: string, brands: TrackedBrand[]) => detect(text, brands).reverse();
    expect(evaluate(cases, reversed).mentioned).toEqual(r.mentioned);
  });

  it('parses JSONL, rejects malformed lines with their line number, and reads its arguments', () => {
    const line = JSON.stringify(cases[0]);
    expect(parseCases(`${line}\n\n${line}\n`, 'x.jsonl')).toHaveLength(2);
    expect(() => parseCases(`${line}\n{"id":"bad"}`, 'x.jsonl')).toThrow(/x\.jsonl:2/);
    expect(() => parseCases('{oops', 'x.jsonl')).toThrow(/x\.jsonl:1: invalid JSON/);
    expect(parseArgs([])).toEqual({ json: false, file: FIXTURE_PATH });
    expect(parseArgs(['--json', '--file', '/tmp/other.jsonl'])).toEqual({ json: true, file: '/tmp/other.jsonl' });
    expect(parseArgs(['--file=/tmp/x.jsonl']).file).toBe('/tmp/x.jsonl');
    expect(() => parseArgs(['--nope'])).toThrow(/unknown argument/);
    expect(excerptAt('x'.repeat(300), 150)).toHaveLength(102);
  });
});

describe('eval-analysis: the labelled fixture', () => {
  const cases = loadCases();

  it('has at least 200 cases with unique ids, one JSON object per line', () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
    const lines = readFileSync(FIXTURE_PATH, 'utf8').split('\n').filter((l) => l.trim());
    expect(lines).toHaveLength(cases.length);
  });

  it('labels only tracked brands, each at most once, never both mentioned and not_known', () => {
    const problems: string[] = [];
    for (const c of cases) {
      const names = [c.brand, ...c.competitors].map((b) => b.name);
      if (new Set(names).size !== names.length) problems.push(`${c.id}: duplicate tracked name`);
      if (names.length < 2 || names.length > 5) problems.push(`${c.id}: ${names.length} tracked brands`);
      for (const n of [...c.expected.mentioned, ...c.expected.not_known]) if (!names.includes(n)) problems.push(`${c.id}: "${n}" is not tracked`);
      if (new Set(c.expected.mentioned).size !== c.expected.mentioned.length) problems.push(`${c.id}: duplicate in mentioned`);
      for (const n of c.expected.not_known) if (c.expected.mentioned.includes(n)) problems.push(`${c.id}: "${n}" both mentioned and not_known`);
      for (const r of c.rules) if (!(RULE_FAMILIES as readonly string[]).includes(r)) problems.push(`${c.id}: unknown rule family ${r}`);
      if (!c.text.trim()) problems.push(`${c.id}: empty text`);
    }
    expect(problems).toEqual([]);
  });

  it('covers every rule family with at least 10 cases and at least 40 non-English cases', () => {
    const perFamily = Object.fromEntries(RULE_FAMILIES.map((f) => [f, cases.filter((c) => c.rules.includes(f)).length]));
    expect(Object.entries(perFamily).filter(([, n]) => n < 10)).toEqual([]);
    expect(cases.filter((c) => c.lang !== 'en').length).toBeGreaterThanOrEqual(40);
    expect(cases.filter((c) => c.rules.includes('long')).every((c) => Buffer.byteLength(c.text) >= 2048)).toBe(true);
  });
});

describe('eval-analysis: the detector on the labelled fixtures', () => {
  it.each([
    ['labelled-answers.jsonl', FIXTURE_PATH],
    // Written by another hand, without seeing the rules' examples or the detector; first scored
    // before any change it prompted (docs/BENCHMARKS.md has both figures).
    ['held-out-answers.jsonl', resolve(dirname(FIXTURE_PATH), 'held-out-answers.jsonl')],
  ])(`%s: precision ≥ ${THRESHOLDS.precision}, recall ≥ ${THRESHOLDS.recall} and rank accuracy ≥ ${THRESHOLDS.rank_accuracy}`, (_name, file) => {
    const r = evaluate(loadCases(file));
    const errors = r.errors.map((e) => `${e.id} ${e.brand} [${e.kinds.join(',')}]`);
    // The error list is part of the expectation so that a failure names the cases to look at.
    expect({ precision: r.mentioned.precision >= THRESHOLDS.precision, recall: r.mentioned.recall >= THRESHOLDS.recall, rank: r.rank.accuracy >= THRESHOLDS.rank_accuracy, crashes: r.crashes, errors: r.passed ? [] : errors }).toEqual({
      precision: true,
      recall: true,
      rank: true,
      crashes: [],
      errors: [],
    });
  });
});
