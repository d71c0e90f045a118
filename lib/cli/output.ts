/** Small helpers for the CLI's human-readable output. */

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export const useColor = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;

/** ANSI colours, or the identity when `enabled` is false. */
export function palette(enabled: boolean) {
  const paint = (code: string) => (s: string) => (enabled ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { red: paint('31'), yellow: paint('33'), green: paint('32'), cyan: paint('36'), dim: paint('2'), bold: paint('1') };
}

/** The CLI's colours: on a terminal only. */
export const color = palette(useColor);

/** Formats rows as aligned columns; the first row is the header. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ').trimEnd()).join('\n');
}

/** `532 B`, `1.4 kB`, `33.6 MB` (decimal units, as App Engine's quotas are written). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB'];
  let value = n / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, configError: 1, usage: 2 } as const;
