import { Body, Controller, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../core/http/api-problems.decorator';
import { UuidParam } from '../core/http/validation';
import { mapPage, Page, PageDto, PaginationQueryDto } from '../core/pagination/pagination';
import { CreateScheduleDto, ScheduleDto, toScheduleDto } from './dto/schedule.dto';
import { nextFiring, SchedulesService } from './schedules.service';
import type { Schedule } from './schedule.repository';

const dto = (s: Schedule): ScheduleDto => toScheduleDto(s, nextFiring(s.cron, s.timezone));

@ApiTags('schedules')
@ApiProblems()
@Controller('campaigns/:id/schedules')
export class SchedulesController {
  constructor(private readonly schedules: SchedulesService) {}

  @Post()
  @ApiOperation({ summary: 'Schedule recurring runs of a campaign: a cron pattern and the run settings each firing uses' })
  @ApiCreatedResponse({ type: ScheduleDto })
  @ApiProblems(400, 404, 413, 415)
  async create(@UuidParam('id') id: string, @Body() body: CreateScheduleDto): Promise<ScheduleDto> {
    return dto(await this.schedules.create(id, body));
  }

  @Get()
  @ApiOperation({ summary: "A campaign's schedules, with when each fires next" })
  @ApiOkResponse({ type: PageDto(ScheduleDto) })
  @ApiProblems(400)
  async list(@UuidParam('id') id: string, @Query() query: PaginationQueryDto): Promise<Page<ScheduleDto>> {
    return mapPage(await this.schedules.list(id, query), dto);
  }

  @Delete(':scheduleId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a schedule (runs it created are kept)' })
  @ApiNoContentResponse()
  @ApiProblems(400, 404)
  async delete(@UuidParam('id') id: string, @UuidParam('scheduleId') scheduleId: string): Promise<void> {
    await this.schedules.delete(id, scheduleId);
  }
}
