import { distance } from 'fastest-levenshtein';
import { CANONICAL_FIELDS, isCanonicalField, type CanonicalField, type ColumnMapping } from './canonical-fields';

/**
 * Header text reduced to what a person means by it: compatibility-decomposed, diacritics
 * dropped, case-folded ("ß" → "ss"), every run of anything but letters and digits one space.
 * "Persona-Name", "persona_name" and "PERSONA  NAME " all give "persona name".
 */
export function normalizeHeader(h: string): string {
  return h
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toUpperCase()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/*
 * Synonyms in English, German, French, Spanish, Italian, Portuguese and Dutch, written as people
 * type them (normalizeHeader runs over them at load). Three strengths:
 * - strong (1.0): the header names the field;
 * - secondary (0.9): a near-synonym that loses to a strong one when both are in the sheet
 *   ("Category" beside "Topic", "Audience" beside "Persona");
 * - weak (0.7): a bare word that only means the field when nothing better claims it.
 *
 * Decisions on ambiguous headers (checked against real sheets, kept deliberately narrow):
 * - "Title" alone is weak topic_title: in a question sheet a bare "Title" is more often the topic
 *   than the persona's job title. It is never persona_role ("Job title" is); when a real topic
 *   column exists, "Title" stays unmapped for the user to map.
 * - "Description" alone is weak topic_description: topics are the only thing with a description.
 * - "Text" alone is weak question_text.
 * - "Name" alone is not mapped (topic name or persona name is a coin toss).
 * - "Country", "Market" and "Region" are not persona_locale: their values are places ("US",
 *   "DACH"), not languages, and would fail locale normalization on every row.
 * - "Persona" alone is persona_name: a persona is known by its name.
 */
const STRONG: Record<CanonicalField, readonly string[]> = {
  question_text: [
    'question', 'questions', 'question text', 'question prompt', 'user question', 'search question',
    'frage', 'fragen', 'fragestellung', 'fragetext', 'frage text',
    'question posée', 'questions posées', 'texte de la question', 'intitulé de la question',
    'pregunta', 'preguntas', 'texto de la pregunta',
    'domanda', 'domande', 'testo della domanda', 'quesito',
    'pergunta', 'perguntas', 'texto da pergunta',
    'vraag', 'vragen', 'vraagtekst',
  ],
  topic_title: [
    'topic', 'topics', 'topic title', 'topic name', 'topic cluster',
    'thema', 'themen', 'themengebiet', 'thementitel', 'thema titel', 'themenname',
    'sujet', 'thème', 'titre du sujet', 'nom du sujet', 'thématique',
    'tema', 'temas', 'título del tema', 'nombre del tema',
    'argomento', 'titolo del tema', 'titolo argomento',
    'tópico', 'título do tema', 'assunto',
    'onderwerp', 'onderwerpen', 'thema titel',
  ],
  topic_description: [
    'topic description', 'topic details', 'topic summary', 'topic context',
    'themenbeschreibung', 'beschreibung des themas', 'thema beschreibung', 'beschreibung',
    'description du sujet', 'description du thème',
    'descripción', 'descripción del tema',
    'descrizione', 'descrizione del tema', 'descrizione argomento',
    'descrição', 'descrição do tema',
    'beschrijving', 'omschrijving', 'beschrijving onderwerp',
  ],
  persona_name: [
    'persona', 'personas', 'persona name', 'buyer persona', 'persona title',
    'personaname', 'name der persona', 'persona bezeichnung',
    'nom de la persona', 'nom du persona',
    'nombre de la persona', 'nombre del persona',
    'nome della persona', 'nome da persona', 'nome persona',
    'persona naam', 'naam persona',
  ],
  persona_role: [
    'role', 'job title', 'job role', 'job', 'position', 'function', 'persona role', 'persona job title',
    'rolle', 'funktion', 'berufsbezeichnung', 'jobtitel', 'stellenbezeichnung', 'beruf',
    'rôle', 'fonction', 'poste', 'intitulé de poste', 'métier',
    'rol', 'cargo', 'puesto', 'función',
    'ruolo', 'mansione', 'posizione', 'funzione', 'qualifica',
    'papel', 'função', 'profissão',
    'functie', 'functietitel', 'beroep',
  ],
  persona_domain: [
    'domain', 'industry', 'sector', 'vertical', 'business domain', 'persona domain', 'persona industry',
    'branche', 'industrie', 'sektor', 'fachgebiet', 'fachbereich', 'domäne',
    'domaine', 'secteur', "secteur d'activité", "domaine d'activité",
    'industria', 'dominio', 'ámbito', 'rubro',
    'settore', 'ambito',
    'setor', 'domínio', 'ramo', 'segmento de mercado',
    'domein', 'bedrijfstak',
  ],
  persona_locale: [
    'locale', 'language', 'lang', 'language code', 'locale code', 'persona locale', 'persona language',
    'sprache', 'sprachcode', 'gebietsschema',
    'langue', 'code langue', 'code de langue',
    'idioma', 'lengua', 'código de idioma',
    'lingua', 'codice lingua',
    'língua', 'código do idioma',
    'taal', 'taalcode',
  ],
  persona_tone: [
    'tone', 'tone of voice', 'tonality', 'voice', 'writing style', 'persona tone',
    'tonalität', 'tonfall', 'ton', 'schreibstil', 'tonalite',
    'tonalité', 'ton de voix',
    'tono', 'tono de voz',
    'tono di voce',
    'tom', 'tom de voz',
    'toon', 'schrijfstijl',
  ],
};

const SECONDARY: Partial<Record<CanonicalField, readonly string[]>> = {
  question_text: [
    'prompt', 'prompts', 'query', 'queries', 'search query', 'search queries', 'consulta', 'consultas',
    'anfrage', 'suchanfrage', 'requête', 'zoekvraag', 'zoekopdracht', 'richiesta',
  ],
  topic_title: [
    'theme', 'subject', 'category', 'cluster', 'kategorie', 'catégorie', 'categoría', 'categoria',
    'asunto', 'categorie', 'tematica',
  ],
  persona_name: [
    'audience', 'target audience', 'target group', 'audience segment', 'icp', 'ideal customer profile',
    'customer profile', 'asker', 'zielgruppe', 'publikum', 'cible', 'public cible',
    'público objetivo', 'audiencia', 'pubblico', 'pubblico target', 'público alvo', 'doelgroep', 'publiek',
  ],
  persona_tone: ['style', 'stil', 'estilo', 'stile', 'stijl', 'register'],
};

const WEAK: Partial<Record<CanonicalField, readonly string[]>> = {
  question_text: ['text', 'texte', 'texto', 'testo', 'tekst'],
  topic_title: ['title', 'titel', 'titre', 'título', 'titolo'],
  topic_description: ['description', 'details'],
};

/*
 * Words that turn a header into something about the field rather than the field itself:
 * "Question ID", "Question #", "Topic owner", "Answer to question". A header with one of them
 * outside the matched synonym does not match by containment.
 */
const ATTRIBUTE_WORDS = new Set(
  [
    'id', 'ids', 'no', 'nr', 'nro', 'num', 'number', 'nummer', 'numero', 'count', 'anzahl', 'index', 'idx',
    'uuid', 'key', 'ref', 'url', 'link', 'links', 'date', 'datum', 'fecha', 'status', 'owner', 'notes',
    'note', 'notiz', 'notizen', 'comment', 'comments', 'kommentar', 'kommentare', 'remark', 'remarks',
    'answer', 'answers', 'antwort', 'antworten', 'reponse', 'reponses', 'respuesta', 'respuestas',
    'risposta', 'risposte', 'resposta', 'respostas', 'antwoord', 'response', 'responses', 'source',
    'sources', 'quelle', 'fuente', 'fonte', 'bron', 'type', 'typ', 'tipo', 'score', 'rank', 'ranking',
    'priority', 'prioritat', 'prioridad', 'volume', 'result', 'results', 'ergebnis', 'resultado',
    'translation', 'ubersetzung', 'traduction', 'traduccion', 'traduzione', 'traducao', 'vertaling',
  ].map(normalizeHeader),
);

/** Words that say which entity a header is about; "Persona language" is the persona's locale. */
const ENTITY_WORDS: Record<'question' | 'topic' | 'persona', ReadonlySet<string>> = {
  question: new Set(['question', 'questions', 'frage', 'fragen', 'pregunta', 'domanda', 'pergunta', 'vraag', 'prompt']),
  topic: new Set(['topic', 'topics', 'thema', 'themen', 'sujet', 'theme', 'tema', 'argomento', 'topico', 'onderwerp']),
  persona: new Set(['persona', 'personas', 'audience', 'zielgruppe', 'cible', 'publico', 'pubblico', 'doelgroep']),
};

const ENTITY_OF_WORD = new Map<string, keyof typeof ENTITY_WORDS>();
for (const [entity, words] of Object.entries(ENTITY_WORDS)) {
  for (const w of words) ENTITY_OF_WORD.set(w, entity as keyof typeof ENTITY_WORDS);
}

function entityOf(field: CanonicalField): keyof typeof ENTITY_WORDS {
  if (field === 'question_text') return 'question';
  return field.startsWith('topic_') ? 'topic' : 'persona';
}

/** Prepositions that put the head noun first ("Langue de la question", "Name of persona"). */
const PREPOSITIONS = new Set(['of', 'for', 'de', 'du', 'des', 'del', 'della', 'dello', 'do', 'da', 'dos', 'das', 'van', 'von', 'der']);

interface Synonym {
  field: CanonicalField;
  text: string;
  compact: string;
  tokens: string[];
  weight: number;
}

const SYNONYMS: Synonym[] = [];
for (const [table, weight] of [[STRONG, 1], [SECONDARY, 0.9], [WEAK, 0.7]] as const) {
  for (const field of CANONICAL_FIELDS) {
    for (const raw of (table as Partial<Record<CanonicalField, readonly string[]>>)[field] ?? []) {
      const text = normalizeHeader(raw);
      const listed = SYNONYMS.find((s) => s.text === text);
      // A word listed under two fields would make the guess depend on table order.
      if (listed && listed.field !== field) throw new Error(`synonym "${raw}" is listed for ${listed.field} and ${field}`);
      if (listed) continue;
      SYNONYMS.push({ field, text, compact: text.replace(/ /g, ''), tokens: text.split(' '), weight });
    }
  }
}

/** Single words that are some field's synonym: they mark a header as being about that field. */
const FIELD_WORDS = new Map<string, CanonicalField>();
for (const s of SYNONYMS) if (s.tokens.length === 1 && !FIELD_WORDS.has(s.text)) FIELD_WORDS.set(s.text, s.field);

/** Every synonym, by field, normalized; exported for the spec that guards against overlaps. */
export function synonymsOf(field: CanonicalField): string[] {
  return SYNONYMS.filter((s) => s.field === field).map((s) => s.text);
}

/** Headers longer than this are prose (a title row, a question), not a column name. */
const MAX_HEADER_CHARS = 60;
const MAX_EXTRA_TOKENS = 4;
const FUZZY_MIN_SIMILARITY = 0.85;
/** Below this a header is not mapped at all: a stray word in a long header is no evidence. */
const MIN_SCORE = 0.45;

/**
 * Edit distance that counts one swap of adjacent letters ("Questoin") as one edit.
 * fastest-levenshtein counts a swap as two, which at the 0.85 similarity bar rejects exactly the
 * typo people make most; undoing the first swap and asking the library again costs one call.
 */
function typoDistance(a: string, b: string): number {
  const plain = distance(a, b);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (i + 1 >= a.length) return plain;
  const swapped = a.slice(0, i) + a[i + 1] + a[i] + a.slice(i + 2);
  return Math.min(plain, 1 + distance(swapped, b));
}

export function similarity(a: string, b: string): number {
  const longest = Math.max(a.length, b.length);
  return longest === 0 ? 1 : 1 - typoDistance(a, b) / longest;
}

function indexOfTokens(haystack: string[], needle: string[]): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

type FieldScores = Map<CanonicalField, number>;

/** Scores of recently seen header texts: header detection scores the same cells once per sheet. */
const scoreCache = new Map<string, FieldScores>();
const SCORE_CACHE_SIZE = 5000;

/** How well one header names each field, 0 (not at all) to 1 (a strong synonym, exactly). */
function scoreHeader(header: string): FieldScores {
  const cached = scoreCache.get(header);
  if (cached) return cached;
  const scores = computeScores(header);
  // Prose scores nothing and is cheap to rule out; keeping it as a key would hold whole cells.
  if (header.length > MAX_HEADER_CHARS * 2) return scores;
  if (scoreCache.size >= SCORE_CACHE_SIZE) scoreCache.clear();
  scoreCache.set(header, scores);
  return scores;
}

function computeScores(header: string): FieldScores {
  const scores: FieldScores = new Map();
  // A cell this long is prose whatever normalizing would leave; skip the work on every such cell.
  if (header.length > MAX_HEADER_CHARS * 8) return scores;
  // "#" and "№" carry meaning that normalizeHeader would erase: "Question #" is a number column.
  const text = normalizeHeader(header.replace(/[#№]/g, ' number '));
  if (!text || text.length > MAX_HEADER_CHARS * 2) return scores;
  const compact = text.replace(/ /g, '');
  const tokens = text.split(' ');
  const mayContain = text.length <= MAX_HEADER_CHARS;
  for (const s of SYNONYMS) {
    let score = 0;
    if (text === s.text) score = 1;
    else if (compact === s.compact) score = 0.97;
    else {
      const at = mayContain && tokens.length - s.tokens.length <= MAX_EXTRA_TOKENS ? indexOfTokens(tokens, s.tokens) : -1;
      if (at >= 0) score = containmentScore(tokens, at, s, compact);
      if (s.weight === 1 && closeInLength(compact, s.compact)) {
        const fuzzy = Math.max(similarity(text, s.text), similarity(compact, s.compact));
        if (fuzzy >= FUZZY_MIN_SIMILARITY) score = Math.max(score, 0.9 * fuzzy);
      }
    }
    score *= s.weight;
    if (score >= MIN_SCORE && score > (scores.get(s.field) ?? 0)) scores.set(s.field, score);
  }
  return scores;
}

/** Strings whose lengths differ by more than the similarity bar allows cannot be typos of each other. */
function closeInLength(a: string, b: string): boolean {
  return Math.abs(a.length - b.length) <= (1 - FUZZY_MIN_SIMILARITY) * Math.max(a.length, b.length);
}

function containmentScore(tokens: string[], at: number, s: Synonym, compact: string): number {
  const rest = [...tokens.slice(0, at), ...tokens.slice(at + s.tokens.length)];
  if (rest.some((t) => ATTRIBUTE_WORDS.has(t))) return 0;
  let score = 0.5 + 0.4 * (s.compact.length / compact.length);
  const own = entityOf(s.field);
  for (const t of rest) {
    const other = FIELD_WORDS.get(t);
    const entity = ENTITY_OF_WORD.get(t);
    if (entity === own && other !== s.field) {
      score *= 1.15; // "Persona language": the header names the entity and this attribute of it
    } else if ((other && other !== s.field) || (entity && entity !== own)) {
      score *= 0.6; // the header is about another field or another entity
      break;
    }
  }
  // Between two synonyms in one header the head noun wins: the last word in English and German,
  // the first when a preposition follows it ("Langue de la question").
  const head = rest.some((t) => PREPOSITIONS.has(t)) ? firstFieldWord(tokens) : lastFieldWord(tokens);
  const isHead = head < 0 || (head >= at && head < at + s.tokens.length);
  return Math.min(score + (isHead ? 0.05 : 0), 0.95);
}

function firstFieldWord(tokens: string[]): number {
  return tokens.findIndex((t) => FIELD_WORDS.has(t));
}

function lastFieldWord(tokens: string[]): number {
  for (let i = tokens.length - 1; i >= 0; i--) if (FIELD_WORDS.has(tokens[i])) return i;
  return -1;
}

interface Assignment {
  mapping: ColumnMapping;
  scores: Partial<Record<CanonicalField, number>>;
  used: Set<number>;
}

/** Best scores first; a field takes one header and a header one field. */
function assign(headers: string[]): Assignment {
  const candidates: { index: number; field: CanonicalField; order: number; score: number }[] = [];
  headers.forEach((header, index) => {
    if (!header || !header.trim()) return;
    for (const [field, score] of scoreHeader(header)) {
      candidates.push({ index, field, order: CANONICAL_FIELDS.indexOf(field), score });
    }
  });
  candidates.sort((a, b) => b.score - a.score || a.index - b.index || a.order - b.order);
  const result: Assignment = { mapping: {}, scores: {}, used: new Set() };
  for (const c of candidates) {
    if (result.mapping[c.field] !== undefined || result.used.has(c.index)) continue;
    result.mapping[c.field] = headers[c.index];
    result.scores[c.field] = c.score;
    result.used.add(c.index);
  }
  return result;
}

/** The mapping a sheet's headers suggest, and the (non-empty) headers left over, in sheet order. */
export function guessMapping(headers: string[]): { mapping: ColumnMapping; unmapped: string[] } {
  const { mapping, used } = assign(headers);
  const unmapped = headers.filter((h, i) => h && h.trim() && !used.has(i));
  return { mapping: orderMapping(mapping), unmapped };
}

function orderMapping(mapping: ColumnMapping): ColumnMapping {
  const ordered: ColumnMapping = {};
  for (const f of CANONICAL_FIELDS) if (mapping[f] !== undefined) ordered[f] = mapping[f];
  return ordered;
}

/**
 * How much a row looks like a header row: the match quality of every cell that names a field
 * (1 for an exact synonym, less for looser matches), plus 1 when one of them is the question.
 * A title row such as "Q3 question set" scores below a real "Question" header.
 */
export function scoreHeaderRow(cells: string[]): number {
  const { scores } = assign(cells);
  const total = Object.values(scores).reduce((sum, s) => sum + s, 0);
  return total + (scores.question_text !== undefined ? 1 : 0);
}

/** Whether the row has a column that reads as the question. */
export function hasQuestionColumn(cells: string[]): boolean {
  return questionColumnScore(cells) > 0;
}

/**
 * How surely the row names a question column: 1 for an exact strong synonym ("Question",
 * "Frage"), about 0.9 for an exact near-synonym ("Prompt"), less for a header that merely
 * contains one ("Question set for Q3"), 0 for none.
 */
export function questionColumnScore(cells: string[]): number {
  return assign(cells).scores.question_text ?? 0;
}

/**
 * Checks a mapping the user gave: keys must be canonical fields, values headers of the sheet
 * (compared as normalizeHeader sees them); answers the mapping with the headers' own spelling.
 * A null or empty value means "not mapped". Two fields may name the same header.
 */
export function validateMapping(mapping: unknown, headers: string[]): { mapping: ColumnMapping; errors: string[] } {
  const errors: string[] = [];
  const result: ColumnMapping = {};
  if (typeof mapping !== 'object' || mapping === null || Array.isArray(mapping)) {
    return { mapping: result, errors: ['the mapping must be a JSON object of canonical field → header'] };
  }
  const byKey = new Map<string, string>();
  for (const h of headers) {
    const key = normalizeHeader(h ?? '');
    // The first of two same-named columns wins, as it does when a person reads the sheet.
    if (key && !byKey.has(key)) byKey.set(key, h);
  }
  const seen = headers.filter((h) => h && h.trim()).map((h) => `"${h}"`).join(', ') || 'none';
  for (const [key, value] of Object.entries(mapping as Record<string, unknown>)) {
    if (!isCanonicalField(key)) {
      const near = closestField(key);
      errors.push(`unknown field "${key}"${near ? ` (did you mean "${near}"?)` : ''}; fields are ${CANONICAL_FIELDS.join(', ')}`);
      continue;
    }
    if (value === null || value === undefined || value === '') continue;
    if (typeof value !== 'string') {
      errors.push(`${key}: the header must be a string`);
      continue;
    }
    const header = byKey.get(normalizeHeader(value));
    if (header === undefined) {
      errors.push(`${key}: header "${value}" is not in the sheet (headers: ${seen})`);
      continue;
    }
    result[key] = header;
  }
  if (result.question_text === undefined && !errors.some((e) => e.startsWith('question_text:'))) {
    errors.push('question_text is required: name the column that holds the questions');
  }
  return { mapping: orderMapping(result), errors };
}

/** The field a mistyped key most likely means: read as a header ("topic", "Frage"), else by spelling. */
function closestField(key: string): CanonicalField | undefined {
  let best: CanonicalField | undefined;
  let bestScore = 0;
  for (const [field, score] of scoreHeader(key)) if (score > bestScore) [best, bestScore] = [field, score];
  if (best) return best;
  const k = normalizeHeader(key).replace(/ /g, '_');
  let bestSim = 0.6;
  for (const f of CANONICAL_FIELDS) {
    const sim = similarity(k, f);
    if (sim > bestSim) [best, bestSim] = [f, sim];
  }
  return best;
}
