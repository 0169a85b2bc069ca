import { CampaignEntity } from './campaigns/campaign.entity';
import { PersonaEntity } from './campaigns/persona.entity';
import { QuestionEntity } from './campaigns/question.entity';
import { TopicEntity } from './campaigns/topic.entity';
import { ExportEntity } from './exports/export.entity';
import { FileEntity } from './ingest/file.entity';
import { MappingProfileEntity } from './ingest/mapping-profile.entity';
import { ResponseEntity } from './runs/response.entity';
import { RunItemEntity } from './runs/run-item.entity';
import { RunEntity } from './runs/run.entity';
import { ScheduleEntity } from './runs/schedule.entity';

/** Every entity of the full schema (the DataSource, the TypeORM CLI and the drift check use this list). */
export const ENTITIES = [
  CampaignEntity,
  TopicEntity,
  PersonaEntity,
  QuestionEntity,
  RunEntity,
  RunItemEntity,
  ResponseEntity,
  ExportEntity,
  FileEntity,
  MappingProfileEntity,
  ScheduleEntity,
];
