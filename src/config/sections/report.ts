// Config section `report`: options of the report category. Owned by that category; wired into ConfigSchema in ../schema.ts.
import { z } from 'zod';

export const ReportSection = z.strictObject({}).prefault({}).describe('Options of the report category');
