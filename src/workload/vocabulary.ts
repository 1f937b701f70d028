// Fixed vocabularies of the generated data: categories with their amount ranges, merchants, names, symbols.

export interface CategoryDef {
  name: string;
  kind: 'income' | 'expense' | 'transfer';
  /** Relative frequency among transactions. */
  weight: number;
  /** Typical amount range in cents (absolute value). */
  minCents: number;
  maxCents: number;
  merchants: readonly string[];
}

export const CATEGORIES: readonly CategoryDef[] = [
  { name: 'salary', kind: 'income', weight: 4, minCents: 150_000, maxCents: 650_000, merchants: ['Payroll ACME Corp', 'Payroll Globex', 'Payroll Initech'] },
  { name: 'interest', kind: 'income', weight: 2, minCents: 10, maxCents: 5_000, merchants: ['Interest credit'] },
  { name: 'refunds', kind: 'income', weight: 1, minCents: 500, maxCents: 20_000, merchants: ['Refund online store', 'Refund airline'] },
  { name: 'rent', kind: 'expense', weight: 3, minCents: 60_000, maxCents: 250_000, merchants: ['Rent payment', 'Mortgage payment'] },
  { name: 'groceries', kind: 'expense', weight: 20, minCents: 300, maxCents: 25_000, merchants: ['Fresh Market', 'Corner Grocer', 'Green Basket', 'Daily Foods'] },
  { name: 'restaurants', kind: 'expense', weight: 12, minCents: 500, maxCents: 15_000, merchants: ['Pizza Place', 'Noodle Bar', 'Cafe Central', 'Burger Spot'] },
  { name: 'transport', kind: 'expense', weight: 10, minCents: 200, maxCents: 12_000, merchants: ['City Transit', 'Fuel Station', 'Ride Share', 'Parking'] },
  { name: 'utilities', kind: 'expense', weight: 5, minCents: 2_000, maxCents: 30_000, merchants: ['Power Co', 'Water Works', 'Telecom'] },
  { name: 'shopping', kind: 'expense', weight: 12, minCents: 500, maxCents: 60_000, merchants: ['Online Store', 'Department Store', 'Hardware Shop'] },
  { name: 'entertainment', kind: 'expense', weight: 8, minCents: 500, maxCents: 20_000, merchants: ['Cinema', 'Concert Hall', 'Game Store'] },
  { name: 'health', kind: 'expense', weight: 4, minCents: 1_000, maxCents: 40_000, merchants: ['Pharmacy', 'Dental Clinic', 'Gym'] },
  { name: 'travel', kind: 'expense', weight: 3, minCents: 5_000, maxCents: 150_000, merchants: ['Airline', 'Hotel', 'Rail'] },
  { name: 'subscriptions', kind: 'expense', weight: 6, minCents: 299, maxCents: 4_999, merchants: ['Streaming', 'Music Service', 'Cloud Storage', 'News'] },
  { name: 'insurance', kind: 'expense', weight: 2, minCents: 3_000, maxCents: 40_000, merchants: ['Insurance premium'] },
  { name: 'education', kind: 'expense', weight: 1, minCents: 2_000, maxCents: 100_000, merchants: ['Bookshop', 'Online Course'] },
  { name: 'gifts', kind: 'expense', weight: 2, minCents: 1_000, maxCents: 20_000, merchants: ['Gift Shop', 'Florist'] },
  { name: 'fees', kind: 'expense', weight: 2, minCents: 100, maxCents: 3_500, merchants: ['Account fee', 'ATM fee', 'FX fee'] },
  { name: 'transfers', kind: 'transfer', weight: 4, minCents: 1_000, maxCents: 200_000, merchants: ['Transfer to savings', 'Transfer from checking'] },
];

export const FIRST_NAMES = ['Ada', 'Ben', 'Chloe', 'David', 'Emma', 'Felix', 'Grace', 'Hugo', 'Iris', 'Jonas', 'Kira', 'Liam', 'Maya', 'Noah', 'Olga', 'Paul'] as const;
export const LAST_NAMES = ['Smith', 'Garcia', 'Müller', 'Rossi', 'Dubois', 'Novak', 'Kowalski', 'Silva', 'Jensen', 'Tanaka', 'Okafor', 'Larsen'] as const;
export const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'ES', 'IT', 'NL', 'PL', 'SE', 'JP'] as const;

export const ACCOUNT_KINDS = ['checking', 'savings', 'credit_card', 'brokerage'] as const;
export type AccountKind = (typeof ACCOUNT_KINDS)[number];

/** A deterministic ticker for security n (1-based): AAA, AAB, …; three letters cover 17,576 securities. */
export function tickerFor(n: number): string {
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  let i = n - 1;
  let out = '';
  for (let k = 0; k < 3; k++) {
    out = letters[i % 26]! + out;
    i = Math.floor(i / 26);
  }
  return i > 0 ? `${out}${i}` : out;
}
