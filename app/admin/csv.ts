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

export type CsvTable = { col: (name: string) => number; body: CsvRow[] } | { problem: Message };

/**
 * What a file may hold, checked while it is read: a hostile upload (millions of blank lines, one
 * line of millions of commas) is refused before it costs more than the rows allowed, instead of
 * holding the event loop (every merchant's /pay and callbacks) and the heap for seconds.
 */
export interface CsvLimits {
  /** Non-blank rows under the header. */
  maxRows: number;
  /** The answer when there are more. */
  tooMany: Message;
}

/** Xendit's reports have a few dozen columns. */
const MAX_COLUMNS = 200;
/**
 * Xendit's report cells are ids, references, dates, codes and amounts, a few hundred characters at
 * the most. A cell of megabytes is no report's: refused as it is read, before any cell is parsed.
 */
export const MAX_CELL_CHARS = 1000;

/** The header's columns (by lower-case name, -1 when absent) and the non-blank rows under it. */
export function csvTable(text: string, limits: CsvLimits): CsvTable {
  const read = csvRows(text.replace(/^\uFEFF/, ''), limits);
  if ('problem' in read) return read;
  const [head, ...body] = read.rows;
  if (!head) return { problem: message('errors:feeReportEmpty') };
  const names = head.cells.map((h) => h.trim().toLowerCase());
  return { col: (name) => names.indexOf(name), body };
}

function csvRows(text: string, limits: CsvLimits): { rows: CsvRow[] } | { problem: Message } {
  const rows: CsvRow[] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let startedOn = 1;
  /** Blank rows are dropped as they end, so only rows that count are ever held. */
  const endRow = (): Message | null => {
    row.push(cell);
    if (row.some((c) => c.trim() !== '')) rows.push({ cells: row, line: startedOn });
    row = [];
    cell = '';
    return rows.length > limits.maxRows + 1 ? limits.tooMany : null;
  };
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
      if (row.length >= MAX_COLUMNS) return { problem: message('errors:csvTooManyColumns', { line: startedOn, max: MAX_COLUMNS }) };
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') {
        i++;
        line++;
      }
      const tooMany = endRow();
      if (tooMany) return { problem: tooMany };
      startedOn = line;
    } else cell += c;
    if (cell.length > MAX_CELL_CHARS) return { problem: message('errors:csvCellTooLong', { line: startedOn, max: MAX_CELL_CHARS }) };
  }
  if (quoted) return { problem: message('errors:feeReportQuote') };
  if (cell !== '' || row.length) {
    const tooMany = endRow();
    if (tooMany) return { problem: tooMany };
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
