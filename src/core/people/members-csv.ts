/**
 * CSV for people (RFC 4180), safe to open in a spreadsheet: a cell that starts like a formula
 * (`=`, `+`, `-`, `@`, tab, CR) is prefixed with `'` so it is shown, not run.
 */
export function toCsv(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  return [header, ...rows].map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
}

function cell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
