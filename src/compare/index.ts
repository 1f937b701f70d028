// Baseline comparison: the pure model (compareRuns) and the rows a report shows of it (its text is src/report/compare-text.ts).
export { checkSaturated, compareRuns, hasRegression, isRegression, relativeChange, isWorse, statusWorsened, type CompareOptions, type Judgement } from './compare.js';
export { binomialHalfWidth, percentileHalfWidth, poissonHalfWidth, seriesHalfWidth } from './noise.js';
export { parseMargin, formatMargin } from './margin.js';
export { changeRows, comparisonHeadline, formatChange, type ChangeRow } from './rows.js';
export type { Comparison, MetricChange, StatusChange, Direction, RunRef } from './model.js';
