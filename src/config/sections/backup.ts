// Config section `backup`: options of the backup category. Owned by that category; wired into ConfigSchema in ../schema.ts.
import { z } from 'zod';

export const BackupSection = z.strictObject({}).prefault({}).describe('Options of the backup category');
