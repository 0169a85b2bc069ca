/** The columns a question sheet can feed; `question_text` is the only required one. */
export const CANONICAL_FIELDS = [
  'question_text',
  'topic_title',
  'topic_description',
  'persona_name',
  'persona_role',
  'persona_domain',
  'persona_locale',
  'persona_tone',
] as const;

export type CanonicalField = (typeof CANONICAL_FIELDS)[number];

/** Canonical field → header text exactly as it appears in the sheet. */
export type ColumnMapping = Partial<Record<CanonicalField, string>>;

export function isCanonicalField(value: string): value is CanonicalField {
  return (CANONICAL_FIELDS as readonly string[]).includes(value);
}
