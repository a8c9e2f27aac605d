/**
 * Spreadsheet formula neutralisation (OWASP "CSV injection"), in one place for every CSV and
 * the XLSX: a text cell taken from platform data that starts with `=`, `+`, `-`, `@`, a tab
 * or a carriage return would be run as a formula by Excel, LibreOffice or Google Sheets when
 * the file is opened, so it is written with a leading apostrophe, which spreadsheets read as
 * "this is text". A cell that already starts with an apostrophe gets one more, so reading
 * back (`restoreCell`) gives the exact original text. Numbers, and text that is just a
 * number such as `-3.5`, are left as they are: they cannot be formulas.
 */

const TRIGGERS = new Set(['=', '+', '-', '@', '\t', '\r']);
const ESCAPE = "'";
const PLAIN_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** The text as it is safe to write into a spreadsheet cell. */
export function neutraliseCell(text: string): string {
  const first = text.charAt(0);
  if (first === ESCAPE) return ESCAPE + text;
  if (!TRIGGERS.has(first) || PLAIN_NUMBER.test(text)) return text;
  return ESCAPE + text;
}

/** The original text of a cell written by neutraliseCell. */
export function restoreCell(text: string): string {
  if (text.charAt(0) !== ESCAPE) return text;
  const next = text.charAt(1);
  return next === ESCAPE || TRIGGERS.has(next) ? text.slice(1) : text;
}
