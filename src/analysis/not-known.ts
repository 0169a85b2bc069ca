/**
 * Statements in which an engine says it does not know, or cannot find, a brand ("I couldn't find
 * information about Acme", "Mir ist Acme nicht bekannt"): the brand's name is in the text, but the
 * answer does not mention the brand in any sense a marketer counts. Ordinary negative statements
 * ("I would not recommend Acme") are mentions and are not matched here.
 *
 * Each cue is tied to where the brand stands: after it ("I'm not aware of a product called X"),
 * before it ("X doesn't appear in my sources") or anywhere in the clause (languages that put the
 * verb last, and scripts written without spaces). The cues are tested on one clause (see
 * clauseSpans), so "I couldn't find Acme, but Globex is solid" leaves Globex mentioned.
 */

/** `\b` in JavaScript is ASCII-only even with the `u` flag; these are Unicode word edges. */
const B = '(?:(?<![\\p{L}\\p{N}])(?=[\\p{L}\\p{N}])|(?<=[\\p{L}\\p{N}])(?![\\p{L}\\p{N}]))';
const re = (source: string): RegExp => new RegExp(source.replace(/\\b/g, B), 'giu');
const APOS = "['’ʼ]";
const NT = `(?:n${APOS}?t|\\s+not)`;

/** What an engine says it lacks ("any information", "reliable data", "a product called"). */
const INFO =
  "(?:information|info|details?|data|anything|records?|mentions?|references?|results?|sources?|evidence|reviews?|documentation|traces?|listings?|entry|entries|product|company|brand|tool|service|platform|website|site|firm|business|app|software|knowledge)";

/** Words that make "I couldn't find X" a comparison, not ignorance ("a better CRM than Acme"). */
const COMPARATIVE = /\b(?:better|cheaper|faster|easier|more|less|than|alternative|good|great|best|similar|comparable|match|rival|beats?)\b/iu;

/** The brand comes after the cue. `find` cues need an object that is information, or the brand right after. */
const FIND_CUES = [
  re(
    `\\b(?:i|we)(?:${APOS}ve|\\s+have)?\\s+(?:could${NT}|(?:can${APOS}t|can\\s+not)|cannot|was\\s+(?:not\\s+|un)able\\s+to|were\\s+(?:not\\s+|un)able\\s+to|am\\s+(?:not\\s+|un)able\\s+to|${APOS}m\\s+(?:not\\s+|un)able\\s+to|have${NT}\\s+been\\s+able\\s+to|did${NT}|do${NT}|failed\\s+to)\\s+(?:find|locate|identify|verify|confirm|retrieve|dig\\s+up|come\\s+across|turn\\s+up)\\b`,
  ),
  re(`\\b(?:unable|not\\s+able|(?:was|were|am|is|are|have|has|had)${NT}\\s+(?:been\\s+)?able)\\s+to\\s+(?:find|locate|identify|verify|confirm)\\b`),
  re(`\\bmy\\s+(?:search(?:es)?|sources|results)\\s+(?:did${NT}|do${NT}|does${NT})\\s+(?:return|turn\\s+up|surface|show|include|mention)\\b`),
];

const AFTER_CUES = [
  re(`\\b(?:i${APOS}?m|i\\s+am|we${APOS}?re|we\\s+are)\\s+(?:not|un)\\s*(?:aware|familiar|sure\\s+(?:what|which|who))\\b`),
  re(
    `\\b(?:i|we)\\s+(?:do${NT}|did${NT}|have\\s+no|had\\s+no|lack)\\s+(?:have\\s+|possess\\s+)?(?:any\\s+|enough\\s+|specific\\s+|reliable\\s+|detailed\\s+|much\\s+|up[-\\s]to[-\\s]date\\s+|current\\s+|verified\\s+|further\\s+|additional\\s+|concrete\\s+|public\\s+|recent\\s+)*(?:information|info|data|details|knowledge|records?|insight)\\b`,
  ),
  re(
    `\\b(?:i|we)\\s+(?:do${NT}|did${NT})\\s+(?:know|recognize|recognise)\\s+(?:(?:enough|much|anything|a\\s+lot)\\s+)?(?:of|about|(?:a|any)\\s+(?:\\p{L}+\\s+){0,2}(?:called|named))\\b`,
  ),
  re(`\\b(?:there\\s+(?:is|was|are|were)|i\\s+(?:found|have|had|could\\s+find)|(?:search(?:es)?|sources|results)\\s+(?:returned|show|shows|yielded|yield|contain))\\s+no\\s+(?:\\p{L}+\\s+){0,3}?${INFO}\\b`),
  re(`\\bno\\s+(?:\\p{L}+\\s+){0,3}?(?:information|info|data|details|results?|records?|mentions?|references?|evidence|knowledge)\\s+(?:is\\s+|was\\s+)?(?:available\\s+|found\\s+|exists?\\s+)?(?:about|on|for|regarding|concerning|of)\\b`),
  re(`\\bno\\s+(?:product|company|brand|tool|service|platform|app|software|business)\\s+(?:called|named|by\\s+the\\s+name)\\b`),
  re(`\\bmy\\s+(?:training\\s+data|knowledge(?:\\s+base)?|sources|data|search\\s+results)\\s+(?:does${NT}|do${NT}|did${NT})\\s+(?:include|contain|cover|mention)\\b`),
  // German
  re(`\\b(?:ich\\s+)?(?:konnte|kann|habe|fand|finde)\\s+(?:ich\\s+)?(?:leider\\s+)?(?:keine|keinerlei|nichts)\\b`),
  re(`\\bkeine\\s+(?:\\p{L}+\\s+){0,2}(?:informationen|angaben|daten|ergebnisse|hinweise|einträge|details)\\s+(?:über|zu|von|zur|zum|bezüglich)\\b`),
  re(`\\b(?:liegen|habe|hatte|gibt\\s+es|finde|fand)\\s+(?:mir\\s+|ich\\s+)?(?:leider\\s+)?(?:keine|keinerlei)\\s+(?:\\p{L}+\\s+){0,2}(?:informationen|angaben|daten|ergebnisse|hinweise)\\b`),
  re(`\\bmir\\s+(?:ist\\s+)?(?:leider\\s+)?(?:kein\\p{L}*\\s+(?:\\p{L}+\\s+){0,2}|nicht\\s+)bekannt\\b`),
  re(`\\b(?:ich\\s+)?(?:bin\\s+)?(?:mit|über)\\s+(?:\\p{L}+\\s+){0,2}nicht\\s+vertraut\\b`),
  // French
  re(`\\b(?:je\\s+|nous\\s+)?n${APOS}(?:ai|avons)\\s+(?:pas|aucune?|rien|trouvé\\s+aucune?)\\b`),
  re(`\\baucune?\\s+(?:\\p{L}+\\s+){0,2}(?:information|info|donnée|résultat|trace|mention|référence|source)s?\\s+(?:\\p{L}+\\s+){0,2}(?:sur|concernant|à\\s+propos|au\\s+sujet|relative|de|d${APOS})`),
  re(`\\bje\\s+ne\\s+(?:connais|trouve|dispose|sais)\\s+(?:pas|d${APOS}aucune|aucune?|rien)\\b`),
  re(`\\bje\\s+ne\\s+suis\\s+pas\\s+(?:au\\s+courant|familier|familière|en\\s+mesure)\\b`),
  re(`\\bpas\\s+(?:d${APOS}|de\\s+)(?:information|donnée|résultat)s?\\s+(?:sur|concernant)\\b`),
  // Spanish
  re(`\\bno\\s+(?:he\\s+)?(?:pude|puedo|pudimos|logré|conseguí|he\\s+podido)\\s+(?:encontrar|localizar|verificar|hallar)\\b`),
  re(`\\bno\\s+(?:encontré|encuentro|he\\s+encontrado|hallé|tengo|dispongo\\s+de|conozco|estoy\\s+familiarizad[oa]|hay\\s+(?:\\p{L}+\\s+)?información|tengo\\s+conocimiento)\\b`),
  re(`\\b(?:ninguna|sin)\\s+información\\b`),
  // Italian
  re(`\\bnon\\s+(?:ho|abbiamo)\\s+(?:trovato|informazioni|dati|notizie)\\b`),
  re(`\\bnon\\s+(?:sono\\s+riuscit[oa]|riesco|siamo\\s+riusciti)\\s+a\\s+(?:trovare|verificare|individuare|reperire)\\b`),
  re(`\\bnon\\s+(?:conosco|trovo|dispongo|sono\\s+a\\s+conoscenza|sono\\s+familiare)\\b`),
  re(`\\bnessuna\\s+informazione\\b`),
  // Portuguese
  re(`\\bnão\\s+(?:encontrei|encontro|consegui\\s+(?:encontrar|localizar|verificar)|conheço|tenho\\s+(?:informaç|dados|conhecimento)|estou\\s+familiarizad|há\\s+informaç|possuo)`),
  re(`\\bnenhuma\\s+informação\\b`),
  // Dutch
  re(`\\b(?:kon|kan|heb|vond)\\s+(?:ik\\s+)?(?:helaas\\s+)?geen\\b`),
  re(`\\bgeen\\s+(?:\\p{L}+\\s+){0,2}(?:informatie|gegevens|resultaten)\\s+(?:\\p{L}+\\s+){0,2}?(?:over|van)\\b`),
  // Polish, Russian, Greek
  re(`\\bnie\\s+(?:udał[oa]\\s+mi\\s+się|mogę|mogłem|mogłam|znalazłem|znalazłam|znam|mam\\s+(?:żadnych\\s+)?informacji)\\b`),
  re(`\\bbrak\\s+(?:\\p{L}+\\s+)?informacji\\b`),
  re(`\\bне\\s+(?:удалось|смог|смогла|могу|нашел|нашёл|нашла|знаю|знаком|знакома|располагаю)\\b`),
  re(`\\bнет\\s+(?:\\p{L}+\\s+)?(?:информации|данных|сведений)\\b`),
  re(`\\bδεν\\s+(?:μπόρεσα|μπορώ|βρήκα|έχω\\s+(?:\\p{L}+\\s+)?(?:πληροφορίες|στοιχεία)|γνωρίζω)\\b`),
];

/** The brand comes before the cue ("Acme doesn't appear in my sources"). */
const BEFORE_CUES = [
  re(`\\b(?:does|do|did)${NT}\\s+(?:appear|show\\s+up|come\\s+up|turn\\s+up|feature)\\s+(?:in|among|anywhere|on)\\b`),
  re(`\\b(?:does|do|did)${NT}\\s+seem\\s+to\\s+(?:exist|be\\s+(?:a\\s+)?(?:known|listed|documented))\\b`),
  re(`\\b(?:is|are|was|were)\\s+(?:not\\s+something|unknown|not\\s+known)\\s+(?:to\\s+me|i${APOS}?m|i\\s+am|that\\s+i)\\b`),
  re(`\\b(?:is|are|was|were)\\s+(?:not\\s+(?:a\\s+)?(?:\\p{L}+\\s+)?(?:name|product|company|brand|term)\\s+)?(?:i${APOS}?m|i\\s+am|that\\s+i${APOS}?m)\\s+not\\s+(?:aware|familiar)\\b`),
  re(`\\b(?:i${APOS}?m|i\\s+am)\\s+not\\s+(?:aware|familiar)\\s+(?:of|with)\\s+(?:it|them|this|that)\\b`),
  re(`\\b(?:could${NT}|can${APOS}t|cannot|can\\s+not)\\s+be\\s+(?:found|verified|identified|located)\\b`),
  re(`\\b(?:does|do|did)${NT}\\s+ring\\s+a\\s+bell\\b`),
  re(`\\bnothing\\s+(?:turns|turned|comes|came|shows|showed)\\s+up\\b`),
  re(`\\bno\\s+(?:record|trace|mention)s?\\s+of\\s+(?:it|them|this|that)\\b`),
  re(`\\bnot\\s+(?:in|part\\s+of)\\s+my\\s+(?:training|knowledge|data|sources)\\b`),
  re(`\\b(?:ist|sind)\\s+mir\\s+(?:leider\\s+)?(?:nicht\\s+bekannt|unbekannt)\\b`),
  re(`\\bno\\s+(?:me\\s+)?(?:es|son|resulta|resultan)\\s+conocid[oa]s?\\b`),
  re(`\\b(?:is|zijn)\\s+(?:mij|me)\\s+(?:niet\\s+bekend|onbekend)\\b`),
  re(`\\bm${APOS}est\\s+inconnue?\\b`),
];

/** Anywhere in the clause: verb-final languages and scripts without spaces. */
const ANY_CUES = [
  re(`\\bich\\s+kenne\\s+(?:\\p{L}+\\s+){0,3}nicht\\b`),
  re(`\\bmir\\s+(?:ist|sind)\\s+(?:leider\\s+)?(?:kein\\p{L}*|nicht)\\s+(?:\\p{L}+\\s+){0,5}bekannt\\b`),
  re(`\\bken\\s+(?:ik\\s+)?(?:\\p{L}+\\s+){0,3}niet\\b`),
  re(`\\b(?:hakkında|ile\\s+ilgili)\\s+(?:herhangi\\s+bir\\s+|hiçbir\\s+)?bilgi(?:ye)?\\s+(?:bulamadım|bulunamadı|yok|sahip\\s+değilim|erişemedim)`),
  /情報が見つかりません|見つかりませんでした|見つけられませんでした|情報はありません|情報がありません|存じません|知りません|把握していません|確認できませんでした/u,
  /没有找到|沒有找到|找不到|未找到|没有关于|沒有關於|没有相关|沒有相關|不了解|不熟悉|无法找到|無法找到|没有.{0,6}信息|沒有.{0,6}資訊/u,
  /찾을 수 없|찾지 못했|정보가 없|정보를 찾|알지 못합니다|모릅니다|알려진 바가 없/u,
  /لم أتمكن من العثور|لا توجد معلومات|لا أملك معلومات|ليس لدي معلومات|لم أجد|لست على دراية/u,
  /לא מצאתי|אין לי מידע|לא הצלחתי למצוא|איני מכיר|אינני מכיר|אינני מכירה|לא מכיר|לא מכירה/u,
  /जानकारी नहीं मिल|कोई जानकारी नहीं|जानकारी उपलब्ध नहीं|नहीं मिली|मैं .{0,20} से परिचित नहीं/u,
  /ไม่พบข้อมูล|ไม่มีข้อมูล|ไม่รู้จัก|ไม่สามารถหาข้อมูล/u,
];

/**
 * A statement that refers back to the brand ("X: I couldn't find reliable information about this
 * tool", "X — I have no data on it"): read on the whole sentence, with the brand before it.
 */
const ANAPHORIC_CUE = re(
  `\\b(?:find|locate|verify|have|know|found)\\b[^.!?]{0,60}?\\b(?:information|info|details|data|anything|much|nothing)\\s+(?:\\p{L}+\\s+)?(?:about|on|regarding|for|of)\\s+(?:it|them|this|that|these|those)\\b`,
);

/** Whether the occurrence ending at `end` in `sentence` precedes a not-known statement that refers back to it. */
export function isNotKnownByReference(sentence: string, end: number): boolean {
  if (!TRIGGER.test(sentence)) return false;
  for (const m of matches(ANAPHORIC_CUE, sentence)) {
    // Only punctuation or markdown, then "I …" / "we …", between the brand and the statement.
    if (m.start >= end && /^[\s*_:—–,()-]*(?:i|we)\b[^.!?]{0,30}$/iu.test(sentence.slice(end, m.start))) return true;
  }
  return false;
}

function* matches(cue: RegExp, s: string): Generator<{ start: number; end: number }> {
  const g = cue.global ? cue : new RegExp(cue.source, `${cue.flags}g`);
  g.lastIndex = 0;
  for (let m = g.exec(s); m; m = g.exec(s)) {
    yield { start: m.index, end: m.index + m[0].length };
    if (m[0].length === 0) g.lastIndex++;
  }
}

const INFO_NEAR = new RegExp(`^.{0,60}?${B}${INFO}${B}`, 'isu');

/**
 * A word or sign that every cue above contains (a negation, "unable", "unknown"…): a clause without
 * any is not read further. Most clauses have none, so most of an answer costs one test.
 */
const TRIGGER = new RegExp(
  String.raw`n['’ʼ]?t\b|\b(?:not|no|unable|unaware|unknown|lack|cannot|keine?|keinerlei|nichts?|kenne|pas|aucune?|rien|ne|non|nessuna|não|nenhuma|sin|ninguna|geen|niet|ken|nie|brak|не|нет|δεν|bilgi\p{L}*|bulunamadı)\b|情報|見つ|存じ|知り|把握|確認でき|没有|沒有|找不到|未找到|不了解|不熟悉|无法|無法|찾|정보|모릅|알려진|لم|لا|ليس|لست|לא|אין|איני|אינני|नहीं|ไม่`.replace(/\\b/g, B),
  'iu',
);

/**
 * Whether the occurrence [start, end) of a brand, inside `clause` (offsets within the clause),
 * is part of a statement that the engine does not know the brand.
 */
export function isNotKnownStatement(clause: string, start: number, end: number, soleBrand = false): boolean {
  if (!TRIGGER.test(clause)) return false;
  for (const cue of FIND_CUES) {
    for (const m of matches(cue, clause)) {
      if (m.end <= start) {
        const between = clause.slice(m.end, start);
        if (COMPARATIVE.test(between)) continue;
        if (between.trim().length <= 6 || INFO_NEAR.test(between)) return true;
      } else if (soleBrand && m.start >= end && INFO_NEAR.test(clause.slice(m.end))) {
        // The brand was named first ("Tise is one I can't find any information on").
        return true;
      }
    }
  }
  // A clause about one brand that says the engine lacks knowledge, whichever comes first: topic-first
  // phrasing ("As for Aira, I don't know enough about the company", "Over Qwic kon ik geen informatie
  // vinden", "Sobre a Keeta, não encontrei nenhuma informação") is common in every language.
  for (const cue of AFTER_CUES) for (const m of matches(cue, clause)) if (m.end <= start + 1 || (soleBrand && m.start >= end)) return true;
  for (const cue of BEFORE_CUES) for (const m of matches(cue, clause)) if (m.start >= end - 1) return true;
  for (const cue of ANY_CUES) {
    cue.lastIndex = 0;
    if (cue.test(clause)) return true;
  }
  return false;
}
