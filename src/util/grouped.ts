/** A number as messages write it: 10,000. */
export const grouped = (n: number): string => n.toLocaleString("en-US");
