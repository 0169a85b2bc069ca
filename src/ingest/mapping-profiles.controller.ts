import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../core/http/api-problems.decorator';
import { mapPage, Page, PageDto, PaginationQueryDto } from '../core/pagination/pagination';
import { CreateMappingProfileDto, MappingProfileDto, toMappingProfileDto } from './dto/mapping-profile.dto';
import { MappingProfilesService } from './mapping-profiles.service';

@ApiTags('ingest')
@ApiProblems()
@Controller('mapping-profiles')
export class MappingProfilesController {
  constructor(private readonly profiles: MappingProfilesService) {}

  @Post()
  @ApiOperation({ summary: 'Save a column mapping under a name, for uploads to use (mapping_profile)' })
  @ApiCreatedResponse({ type: MappingProfileDto })
  @ApiProblems(400, 409, 413, 415)
  async create(@Body() dto: CreateMappingProfileDto): Promise<MappingProfileDto> {
    return toMappingProfileDto(await this.profiles.create(dto));
  }

  @Get()
  @ApiOperation({ summary: 'List mapping profiles by name' })
  @ApiOkResponse({ type: PageDto(MappingProfileDto) })
  @ApiProblems(400)
  async list(@Query() query: PaginationQueryDto): Promise<Page<MappingProfileDto>> {
    return mapPage(await this.profiles.list(query), toMappingProfileDto);
  }

  @Get(':name')
  @ApiOperation({ summary: 'Get a mapping profile' })
  @ApiOkResponse({ type: MappingProfileDto })
  @ApiProblems(404)
  async get(@Param('name') name: string): Promise<MappingProfileDto> {
    return toMappingProfileDto(await this.profiles.get(name));
  }

  @Delete(':name')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a mapping profile' })
  @ApiNoContentResponse()
  @ApiProblems(404)
  async delete(@Param('name') name: string): Promise<void> {
    await this.profiles.delete(name);
  }
}
