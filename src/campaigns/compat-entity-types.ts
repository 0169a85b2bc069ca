/** The `entity_type` of each kind of record in compat mode's events table. */
export const ENTITY = {
  campaign: 'campaign',
  topic: 'topic',
  persona: 'persona',
  question: 'question',
  run: 'run',
} as const;
