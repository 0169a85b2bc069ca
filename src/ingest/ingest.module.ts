import { Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { CampaignsModule } from '../campaigns';
import { AppConfig } from '../core/config/app-config';
import { modeRepository } from '../core/database/mode-repository';
import { FileCompatRepository } from './file-compat.repository';
import { FileFullRepository } from './file-full.repository';
import { FileRepository } from './file.repository';
import { IngestController } from './ingest.controller';
import { IngestService } from './ingest.service';
import { MappingProfileCompatRepository } from './mapping-profile-compat.repository';
import { MappingProfileFullRepository } from './mapping-profile-full.repository';
import { MappingProfileRepository } from './mapping-profile.repository';
import { MappingProfilesController } from './mapping-profiles.controller';
import { MappingProfilesService } from './mapping-profiles.service';
import { QuestionGenerationService } from './question-generation.service';
import { QuestionImportService } from './question-import.service';
import { SpreadsheetIngestService } from './spreadsheet-ingest.service';

@Module({
  imports: [
    CampaignsModule,
    // Uploads stay in memory (bounded by UPLOAD_MAX_BYTES): a sheet is parsed whole anyway.
    MulterModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        limits: { fileSize: config.http.uploadMaxBytes, files: 1, fields: 20, fieldSize: 100_000, parts: 30 },
      }),
    }),
  ],
  controllers: [IngestController, MappingProfilesController],
  providers: [
    modeRepository(MappingProfileRepository, MappingProfileFullRepository, MappingProfileCompatRepository),
    modeRepository(FileRepository, FileFullRepository, FileCompatRepository),
    IngestService,
    QuestionImportService,
    QuestionGenerationService,
    SpreadsheetIngestService,
    MappingProfilesService,
  ],
  exports: [QuestionImportService],
})
export class IngestModule {}
