/**
 * The `entity_type` of each kind of record in compat mode's events table (one registry, so that
 * features never collide). Parents: topics and questions have their campaign as `parent_id`, runs
 * their campaign, run items their run.
 */
export const ENTITY = {
  campaign: 'campaign',
  topic: 'topic',
  persona: 'persona',
  question: 'question',
  run: 'run',
  mappingProfile: 'mapping_profile',
  file: 'file',
} as const;
