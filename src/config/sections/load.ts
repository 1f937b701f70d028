// Config section `load`: options of the load category. Owned by that category; wired into ConfigSchema in ../schema.ts.
import { z } from 'zod';

export const LoadSection = z.strictObject({}).prefault({}).describe('Options of the load category');
