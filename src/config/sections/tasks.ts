// Config section `tasks`: options of the tasks category. Owned by that category; wired into ConfigSchema in ../schema.ts.
import { z } from 'zod';

export const TasksSection = z.strictObject({}).prefault({}).describe('Options of the tasks category');
