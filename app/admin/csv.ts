/**
 * CSV files exported from Xendit's dashboard and pasted into an admin form, read as a careless
 * upload may come: a BOM, CRLF or LF, quoted cells (RFC 4180: "" for a quote, commas and line
 * breaks inside quotes), blank lines, columns in any order or case, extra columns.
 */
import { message, type Message } from '../i18n/index.js';

export interface CsvRow {
  cells: string[];
  /** The line of the file the row starts on (1 = the header), for naming it in an error. */
  line: number;
}

export type CsvTable = { col: (name: string) => number; body: CsvRow[] } | { problem: 'errors:feeReportEmpty' | 'errors:feeReportQuote' };

/** The header's columns (by lower-case name, -1 when absent) and the non-blank rows under it. */
export function csvTable(text: string): CsvTable {
  const read = csvRows(text.replace(/^\uFEFF/, ''));
  if ('problem' in read) return read;
  const [head, ...body] = read.rows.filter((r) => r.cells.some((c) => c.trim() !== ''));
  if (!head) return { problem: 'errors:feeReportEmpty' };
  const names = head.cells.map((h) => h.trim().toLowerCase());
  return { col: (name) => names.indexOf(name), body };
}

function csvRows(text: string): { rows: CsvRow[] } | { problem: 'errors:feeReportQuote' } {
  const rows: CsvRow[] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let startedOn = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) line++;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') {
        i++;
        line++;
      }
      row.push(cell);
      rows.push({ cells: row, line: startedOn });
      row = [];
      cell = '';
      startedOn = line;
    } else cell += c;
  }
  if (quoted) return { problem: 'errors:feeReportQuote' };
  if (cell !== '' || row.length) {
    row.push(cell);
    rows.push({ cells: row, line: startedOn });
  }
  return { rows };
}

const MAX_PROBLEMS = 10;

/** The first problems of a file, and how many more: a form error stays readable. */
export function fewProblems(problems: Message[]): Message[] {
  return problems.length > MAX_PROBLEMS
    ? [...problems.slice(0, MAX_PROBLEMS), message('errors:feeReportMore', { count: problems.length - MAX_PROBLEMS })]
    : problems;
}
