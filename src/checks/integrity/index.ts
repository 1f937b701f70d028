// The `integrity` category's checks, in run order; the score comes last because it reads what the others found.
import type { Check } from '../types.js';
import { catalogCheck } from './catalog.js';
import { constraintsCheck } from './constraints.js';
import { corruptionCheck } from './corruption.js';
import { foreignKeysCheck } from './foreign-keys.js';
import { invariantsCheck } from './invariants.js';
import { scoreCheck } from './score.js';
import { typesCheck } from './types.js';

export const integrityChecks: Check[] = [foreignKeysCheck, constraintsCheck, typesCheck, invariantsCheck, catalogCheck, corruptionCheck, scoreCheck];
