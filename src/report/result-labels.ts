/**
 * The letter that names the index-th result of a report (A, B, … Z, then AA, AB, … like spreadsheet
 * columns): a report may compare any number of files.
 */
export function resultLetter(index: number): string {
  let letters = '';
  for (let rest = index + 1; rest > 0; rest = Math.floor((rest - 1) / 26)) {
    letters = String.fromCharCode(65 + ((rest - 1) % 26)) + letters;
  }
  return letters;
}

/** The letter of a report's label (`AB: run-id (…)` → `AB`), as resultLetter made it. */
export function labelLetter(label: string): string {
  const end = label.indexOf(':');
  return end < 0 ? label : label.slice(0, end);
}
