/**
 * The `entity_type` of each kind of record in compat mode's events table (one registry, so that
 * features never collide). Parents: topics and questions have their campaign as `parent_id`, runs
 * and schedules their campaign. Run items live in the `results` table, one row each.
 */
export const ENTITY = {
  campaign: 'campaign',
  topic: 'topic',
  persona: 'persona',
  question: 'question',
  run: 'run',
  schedule: 'schedule',
  mappingProfile: 'mapping_profile',
  file: 'file',
  export: 'export',
} as const;
