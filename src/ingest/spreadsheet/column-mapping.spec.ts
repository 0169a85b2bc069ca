import { CANONICAL_FIELDS, type ColumnMapping } from './canonical-fields';
import { guessMapping, normalizeHeader, scoreHeaderRow, similarity, synonymsOf, validateMapping } from './column-mapping';
import { cpuNow } from './testing/cpu-clock';

describe('normalizeHeader', () => {
  it.each([
    ['Persona-Name', 'persona name'],
    ['persona_name', 'persona name'],
    ['PERSONA  NAME ', 'persona name'],
    ['Frage:', 'frage'],
    ['Thema (Titel)', 'thema titel'],
    ['Público-alvo', 'publico alvo'],
    ['Größe', 'grosse'],
    ['\u00A0Question\u200B', 'question'],
    ['Ｑｕｅｓｔｉｏｎ', 'question'],
    ['---', ''],
  ])('%j → %j', (input, expected) => {
    expect(normalizeHeader(input)).toBe(expected);
  });
});

describe('guessMapping', () => {
  it('maps the fixture headers', () => {
    expect(guessMapping(['Topic title', 'Topic description', 'Persona Name', 'Role', 'Question', 'Notes'])).toEqual({
      mapping: {
        question_text: 'Question',
        topic_title: 'Topic title',
        topic_description: 'Topic description',
        persona_name: 'Persona Name',
        persona_role: 'Role',
      },
      unmapped: ['Notes'],
    });
    expect(guessMapping(['Thema', 'Persona', 'Sprache', 'Frage'])).toEqual({
      mapping: { question_text: 'Frage', topic_title: 'Thema', persona_name: 'Persona', persona_locale: 'Sprache' },
      unmapped: [],
    });
  });

  const full = (
    q: string,
    tt: string,
    td: string,
    pn: string,
    pr: string,
    pd: string,
    pl: string,
    pt: string,
  ): ColumnMapping => ({
    question_text: q,
    topic_title: tt,
    topic_description: td,
    persona_name: pn,
    persona_role: pr,
    persona_domain: pd,
    persona_locale: pl,
    persona_tone: pt,
  });

  it.each<[string, ColumnMapping]>([
    ['English', full('Question text', 'Topic', 'Topic description', 'Persona', 'Job title', 'Industry', 'Language', 'Tone of voice')],
    ['German', full('Fragestellung', 'Themengebiet', 'Themenbeschreibung', 'Zielgruppe', 'Funktion', 'Branche', 'Sprache', 'Tonalität')],
    ['French', full('Question posée', 'Sujet', 'Description du sujet', 'Public cible', 'Poste', 'Secteur', 'Langue', 'Ton')],
    ['Spanish', full('Pregunta', 'Tema', 'Descripción', 'Público objetivo', 'Cargo', 'Sector', 'Idioma', 'Tono')],
    ['Italian', full('Domanda', 'Argomento', 'Descrizione', 'Pubblico', 'Ruolo', 'Settore', 'Lingua', 'Tono di voce')],
    ['Portuguese', full('Pergunta', 'Tópico', 'Descrição', 'Público-alvo', 'Função', 'Setor', 'Idioma', 'Tom')],
    ['Dutch', full('Vraag', 'Onderwerp', 'Omschrijving', 'Doelgroep', 'Functie', 'Branche', 'Taal', 'Toon')],
  ])('maps headers in %s', (_language, expected) => {
    const headers = Object.values(expected).reverse();
    expect(guessMapping(headers)).toEqual({ mapping: expected, unmapped: [] });
  });

  it('matches spelling variants: case, separators, camelCase run together, plurals', () => {
    expect(guessMapping(['QUESTIONS', 'topic_title', 'Persona-Name', 'personaRole']).mapping).toEqual({
      question_text: 'QUESTIONS',
      topic_title: 'topic_title',
      persona_name: 'Persona-Name',
      persona_role: 'personaRole',
    });
  });

  it('matches a header that contains a synonym', () => {
    expect(guessMapping(['Persona Name (who asks)', 'Your question', 'Topic (EN)']).mapping).toEqual({
      question_text: 'Your question',
      topic_title: 'Topic (EN)',
      persona_name: 'Persona Name (who asks)',
    });
  });

  it('matches typos', () => {
    expect(guessMapping(['Questoin', 'Topic descripton', 'Persona nmae', 'Industy']).mapping).toEqual({
      question_text: 'Questoin',
      topic_description: 'Topic descripton',
      persona_name: 'Persona nmae',
      persona_domain: 'Industy',
    });
    expect(similarity('questoin', 'question')).toBeGreaterThanOrEqual(0.85);
    expect(guessMapping(['Quest', 'Tonic']).mapping).toEqual({});
  });

  it('gives a header to the more specific field', () => {
    expect(guessMapping(['Topic description']).mapping).toEqual({ topic_description: 'Topic description' });
    expect(guessMapping(['Persona Name', 'Persona role']).mapping).toEqual({ persona_name: 'Persona Name', persona_role: 'Persona role' });
    expect(guessMapping(['Persona language', 'Persona', 'Question']).mapping).toEqual({
      question_text: 'Question',
      persona_name: 'Persona',
      persona_locale: 'Persona language',
    });
    expect(guessMapping(['Sprache der Persona', 'Frage']).mapping).toEqual({ question_text: 'Frage', persona_locale: 'Sprache der Persona' });
  });

  describe('ambiguous headers', () => {
    it('reads "Title" alone as the topic title, and leaves it when a topic column exists', () => {
      expect(guessMapping(['Title', 'Question']).mapping).toEqual({ question_text: 'Question', topic_title: 'Title' });
      expect(guessMapping(['Topic', 'Title', 'Question'])).toEqual({ mapping: { question_text: 'Question', topic_title: 'Topic' }, unmapped: ['Title'] });
      expect(guessMapping(['Job title', 'Question']).mapping).toEqual({ question_text: 'Question', persona_role: 'Job title' });
    });

    it('reads "Description" alone as the topic description', () => {
      expect(guessMapping(['Description', 'Question']).mapping).toEqual({ question_text: 'Question', topic_description: 'Description' });
      expect(guessMapping(['Topic description', 'Description', 'Question']).unmapped).toEqual(['Description']);
    });

    it('leaves "Name", "Country" and "Market" unmapped', () => {
      expect(guessMapping(['Name', 'Country', 'Market', 'Question'])).toEqual({ mapping: { question_text: 'Question' }, unmapped: ['Name', 'Country', 'Market'] });
    });

    it('does not take a column about the question for the question', () => {
      expect(guessMapping(['Question #', 'Question ID', 'Question', 'Answer to question']).mapping).toEqual({ question_text: 'Question' });
      expect(guessMapping(['Question ID', 'No.']).mapping).toEqual({});
      expect(guessMapping(['Persona description', 'Question']).mapping).toEqual({ question_text: 'Question' });
    });

    it('lets a strong synonym beat a near one', () => {
      expect(guessMapping(['Category', 'Topic', 'Audience', 'Persona', 'Prompt', 'Question']).mapping).toEqual({
        question_text: 'Question',
        topic_title: 'Topic',
        persona_name: 'Persona',
      });
      expect(guessMapping(['Category', 'Audience', 'Prompt']).mapping).toEqual({
        question_text: 'Prompt',
        topic_title: 'Category',
        persona_name: 'Audience',
      });
    });
  });

  it('gives each field one header and each header one field, the first of equals winning', () => {
    const { mapping, unmapped } = guessMapping(['Question', 'Questions', 'Frage']);
    expect(mapping).toEqual({ question_text: 'Question' });
    expect(unmapped).toEqual(['Questions', 'Frage']);
  });

  it('ignores empty headers and keeps the others in sheet order', () => {
    expect(guessMapping(['', 'Notes', '  ', 'Question', 'Owner'])).toEqual({ mapping: { question_text: 'Question' }, unmapped: ['Notes', 'Owner'] });
    expect(guessMapping([])).toEqual({ mapping: {}, unmapped: [] });
  });

  it('lists no word under two fields', () => {
    const seen = new Map<string, string>();
    for (const field of CANONICAL_FIELDS) {
      for (const s of synonymsOf(field)) {
        expect([s, seen.get(s) ?? field]).toEqual([s, field]);
        seen.set(s, field);
      }
    }
    expect(seen.size).toBeGreaterThan(150);
  });
});

describe('scoreHeaderRow', () => {
  it('scores a header above its title row and its data rows', () => {
    const header = scoreHeaderRow(['Topic title', 'Topic description', 'Persona Name', 'Role', 'Question', 'Notes']);
    const title = scoreHeaderRow(['Acme CRM — question bank (Q4 review)', '', '', '', '', '']);
    const data = scoreHeaderRow(['CRM for agencies', 'Choosing a CRM for service businesses', 'Head of Sales', 'VP Sales', 'What is the best tool for CRM for agencies in 2026?', 'check wording']);
    expect(header).toBeGreaterThan(5);
    expect(title).toBe(0);
    expect(data).toBe(0);
  });

  it('scores a bare "Question" header above a title mentioning questions', () => {
    expect(scoreHeaderRow(['Question'])).toBeGreaterThan(scoreHeaderRow(['Q3 question set']));
    expect(scoreHeaderRow(['Q3 question set'])).toBeGreaterThan(0);
  });

  it('gives a bonus for a question column', () => {
    expect(scoreHeaderRow(['Topic', 'Question']) - scoreHeaderRow(['Topic', 'Notes'])).toBeCloseTo(2);
  });

  it('stays fast on a wide row of long cells', () => {
    const cells = Array.from({ length: 200 }, (_, i) => `cell ${i} ${'lorem ipsum '.repeat(i % 12)}`);
    const started = cpuNow();
    for (let i = 0; i < 30; i++) scoreHeaderRow(cells.map((c) => `${c} ${i}`));
    expect(cpuNow() - started).toBeLessThan(6000);
  });
});

describe('validateMapping', () => {
  const headers = ['Col A', 'Col B', '', 'Frage'];

  it('accepts canonical fields naming headers loosely and answers the sheet’s spelling', () => {
    expect(validateMapping({ question_text: ' col  b ', topic_title: 'COL_A', persona_name: null, persona_role: '' }, headers)).toEqual({
      mapping: { question_text: 'Col B', topic_title: 'Col A' },
      errors: [],
    });
    expect(validateMapping({ question_text: 'Frage', topic_title: 'Frage' }, headers).errors).toEqual([]);
  });

  it('requires question_text', () => {
    expect(validateMapping({ topic_title: 'Col A' }, headers)).toEqual({
      mapping: { topic_title: 'Col A' },
      errors: ['question_text is required: name the column that holds the questions'],
    });
    expect(validateMapping({}, headers).errors).toHaveLength(1);
  });

  it('names unknown fields, with a suggestion', () => {
    const { errors } = validateMapping({ question_text: 'Col B', question: 'Col A', topic: 'Col A', foo: 'x' }, headers);
    expect(errors).toEqual([
      expect.stringMatching(/^unknown field "question" \(did you mean "question_text"\?\); fields are question_text, topic_title/),
      expect.stringMatching(/^unknown field "topic" \(did you mean "topic_title"\?\)/),
      expect.stringMatching(/^unknown field "foo"; fields are/),
    ]);
  });

  it('names a header that is not in the sheet, and the headers that are', () => {
    expect(validateMapping({ question_text: 'Missing header' }, headers).errors).toEqual([
      'question_text: header "Missing header" is not in the sheet (headers: "Col A", "Col B", "Frage")',
    ]);
  });

  it('refuses what is not an object of strings', () => {
    for (const bad of [null, 'question_text', ['Col A'], 42]) {
      expect(validateMapping(bad, headers).errors).toEqual(['the mapping must be a JSON object of canonical field → header']);
    }
    expect(validateMapping({ question_text: 3 }, headers).errors).toEqual(['question_text: the header must be a string']);
  });

  it('takes the first of two same-named columns', () => {
    expect(validateMapping({ question_text: 'notes' }, ['Notes', 'Question', 'notes']).mapping).toEqual({ question_text: 'Notes' });
  });
});
