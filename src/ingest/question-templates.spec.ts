import { join } from 'node:path';
import { fill, findTemplate, loadTemplates, patternsFor, validateTemplate } from './question-templates';

describe('question templates', () => {
  const templates = loadTemplates(join(__dirname, 'templates'));

  it('ships a valid default template with an English fallback', () => {
    const t = findTemplate(templates, 'default');
    expect(t).toBeDefined();
    expect(t!.questions.en.length).toBeGreaterThan(3);
    expect(findTemplate(templates, `default@${t!.version}`)).toBe(t);
    expect(findTemplate(templates, 'default@999')).toBeUndefined();
    expect(findTemplate(templates, 'nope')).toBeUndefined();
  });

  it('picks the persona language, falling back to English', () => {
    const t = findTemplate(templates, 'default')!;
    expect(patternsFor(t, 'de-DE')).toBe(t.questions.de);
    expect(patternsFor(t, 'pt-BR')).toBe(t.questions.en);
    expect(patternsFor(t, null)).toBe(t.questions.en);
  });

  it('fills placeholders and leaves out a question whose placeholder has no value', () => {
    expect(fill('As a {persona_role}, what about {topic}?', { persona_role: 'CTO', topic: 'CRM' })).toBe('As a CTO, what about CRM?');
    expect(fill('As a {persona_role}, what about {topic}?', { persona_role: null, topic: 'CRM' })).toBeUndefined();
    expect(fill('About {topic}?', { topic: '  ' })).toBeUndefined();
  });

  it('refuses malformed templates with a message naming the file', () => {
    expect(() => validateTemplate({ name: 'x', version: 1, questions: { de: ['a'] } }, 'x.yaml')).toThrow(/x\.yaml.*questions\.en is required/);
    expect(() => validateTemplate({ name: 'x', version: 0, questions: { en: ['a'] } }, 'x.yaml')).toThrow(/version/);
    expect(() => validateTemplate({ name: 'x', version: 1, questions: { en: ['About {brand}?'] } }, 'x.yaml')).toThrow(/unknown placeholder \{brand\}/);
    expect(() => validateTemplate({ name: 'Bad Name', version: 1, questions: { en: ['a'] } }, 'x.yaml')).toThrow(/name/);
    expect(() => validateTemplate('just text', 'x.yaml')).toThrow(/not a mapping/);
  });
});
