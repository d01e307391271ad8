// Export a chart's figures as the page shows them: CSV (UTF-8 with a BOM, so Excel reads the Chinese)
// and XLSX, written in the browser by write-excel-file (npm, MIT; served from /console/vendor/).
// A table is {title, columns: [{label, num?}], rows: [[cell, …]]}; numeric cells are plain numbers.

/** The CSV text of one table: its header row, then its rows (CRLF, quoted where needed). */
export function csvOf(table) {
  const cell = (v) => {
    const s = v == null ? '' : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  const lines = [table.columns.map((c) => c.label), ...table.rows].map((r) => r.map(cell).join(','));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

export function downloadCsv(table, filename) {
  save(new Blob([csvOf(table)], { type: 'text/csv;charset=utf-8' }), `${filename}.csv`);
}

let writer = null;
function loadWriter() {
  // a UMD bundle: as a module it sets globalThis.writeXlsxFile
  writer ||= import('/console/vendor/write-excel-file.min.js').then(() => globalThis.writeXlsxFile || null).catch(() => null);
  return writer;
}

/** Whether XLSX can be written here (the library is installed). */
export async function xlsxAvailable() { return Boolean(await loadWriter()); }

/** One workbook, a sheet per table (sheet names unique, at most 31 characters, no []:*?/\). */
export async function downloadXlsx(tables, filename) {
  const write = await loadWriter();
  if (!write) throw new Error('XLSX');
  const used = new Set();
  const sheets = tables.map((t) => {
    const base = String(t.title).replace(/[[\]:*?/\\]/g, ' ').slice(0, 31) || 'Sheet';
    let name = base;
    for (let i = 2; used.has(name); i += 1) name = `${base.slice(0, 27)}(${i})`;
    used.add(name);
    const header = t.columns.map((c) => ({ value: c.label, fontWeight: 'bold' }));
    const rows = t.rows.map((r) => r.map((v, i) => (v == null || v === '' ? null
      : t.columns[i].num && typeof v === 'number' ? { value: v, type: Number } : { value: String(v), type: String })));
    const widths = t.columns.map((c, i) => ({ width: Math.min(40, Math.max(8, ...[c.label, ...t.rows.map((r) => r[i])]
      .map((v) => [...String(v ?? '')].reduce((n, ch) => n + (ch.charCodeAt(0) > 0x2e80 ? 2 : 1), 0) + 2))) }));
    return { data: [header, ...rows], sheet: name, columns: widths, stickyRowsCount: 1 };
  });
  save(await write(sheets).toBlob(), `${filename}.xlsx`);
}

function save(blob, name) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}
