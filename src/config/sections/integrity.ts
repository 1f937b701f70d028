// Config section `integrity`: options of the integrity category. Owned by that category; wired into ConfigSchema in ../schema.ts.
import { z } from 'zod';

export const IntegritySection = z.strictObject({}).prefault({}).describe('Options of the integrity category');
