/** A whole number in [min, max], or the reason it is not. */
export function wholeNumber(flag: string, value: string, min: number, max: number): number | string {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    return `${flag} takes a whole number from ${min} to ${max} (got "${value}")`;
  return n;
}
