/** USD as the console shows it: cents, or four decimals for less than a cent. */
export const money = (usd: number) => `$${usd > 0 && usd < 0.01 ? usd.toFixed(4) : usd.toFixed(2)}`;
