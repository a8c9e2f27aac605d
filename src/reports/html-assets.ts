/**
 * The fixed parts of the HTML report: its style sheet and its one script. Inline, so the
 * report is a single file that works offline; plain JS with no library, so it runs in any
 * browser a user opens it with.
 */
import { COMMENT_STYLES, commentCssColour } from './analysis-columns.js';

/** Nothing leaves the page: no network, only inline styles/scripts and data: images. */
export const CONTENT_SECURITY_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'";

/** `c<index>` is the row class of the comment at that index of COMMENT_STYLES. */
export function commentClass(index: number): string {
  return `c${index}`;
}

export const REPORT_CSS = `
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 1.5rem; color: #222; background: #fff; }
h1 { font-size: 1.4rem; margin: 0 0 .4rem; }
h2 { font-size: 1.1rem; margin: 1.4rem 0 .5rem; }
dl.run { display: grid; grid-template-columns: max-content auto; gap: .1rem 1rem; margin: 0 0 1rem; color: #444; }
dl.run dt { font-weight: 600; }
dl.run dd { margin: 0; }
.overview { display: flex; flex-wrap: wrap; gap: 2rem; align-items: flex-start; }
table { border-collapse: collapse; }
th, td { border: 1px solid #bbb; padding: .25rem .45rem; text-align: left; vertical-align: top; white-space: pre-wrap; }
th { background: #f0f0f0; }
#summary tbody tr { cursor: pointer; }
#summary td.n { text-align: right; font-variant-numeric: tabular-nums; }
.swatch { display: inline-block; width: .9rem; height: .9rem; border: 1px solid #888; vertical-align: -2px; margin-right: .4rem; }
.controls, .pager { margin: .8rem 0; }
.table-wrap { overflow: auto; max-height: 80vh; border: 1px solid #bbb; }
#analysis { font-size: 12.5px; }
#analysis thead th { position: sticky; top: 0; z-index: 1; }
#analysis thead th[data-sort] { cursor: pointer; }
#analysis thead th[aria-sort="ascending"]::after { content: " \\25B2"; }
#analysis thead th[aria-sort="descending"]::after { content: " \\25BC"; }
#scan-summary { font-size: 1.05rem; }
#search { width: 16rem; margin-right: 1rem; }
#analysis td.comment { white-space: nowrap; font-weight: 600; }
#analysis td.num { text-align: right; font-variant-numeric: tabular-nums; }
.thumbs { display: flex; gap: .3rem; }
.thumb { display: block; width: 160px; height: 100px; background: #eee center / contain no-repeat; border: 1px solid #999; }
.thumb.none { display: flex; align-items: center; justify-content: center; color: #777; font-size: 11px; }
${COMMENT_STYLES.map((s, i) => `tr.${commentClass(i)} { background-color: ${commentCssColour(s.comment)}; }`).join('\n')}
`;

/**
 * Filter by comment (the select, or a click on a summary row), by a POG % drop beyond the
 * tolerance and by a search; sort by a column; show a page of the matching rows, which wait
 * in the page's template until shown. ROWS_PER_PAGE is replaced by the writer.
 */
export const REPORT_SCRIPT = `
(function () {
  var select = document.getElementById('comment-filter');
  var drops = document.getElementById('drop-filter');
  var search = document.getElementById('search');
  var body = document.querySelector('#analysis tbody');
  var all = Array.prototype.slice.call(document.getElementById('analysis-rows').content.children);
  var shown = document.getElementById('shown-count');
  var size = ROWS_PER_PAGE, page = 0, matching = [];
  function render() {
    var pages = Math.max(1, Math.ceil(matching.length / size));
    if (page > pages - 1) page = pages - 1;
    body.replaceChildren.apply(body, matching.slice(page * size, (page + 1) * size));
    document.getElementById('page-number').textContent = String(page + 1);
    document.getElementById('page-count').textContent = String(pages);
    document.getElementById('prev').disabled = page === 0;
    document.getElementById('next').disabled = page >= pages - 1;
    shown.textContent = String(matching.length);
  }
  function apply() {
    var wanted = select.value;
    var query = search.value.trim().toLowerCase();
    matching = all.filter(function (row) {
      return (wanted === '' || row.getAttribute('data-comment') === wanted) && (!drops.checked || row.hasAttribute('data-drop')) &&
        (query === '' || row.getAttribute('data-search').indexOf(query) !== -1);
    });
    page = 0;
    render();
  }
  select.addEventListener('change', apply);
  drops.addEventListener('change', apply);
  search.addEventListener('input', apply);
  document.getElementById('prev').addEventListener('click', function () { page--; render(); });
  document.getElementById('next').addEventListener('click', function () { page++; render(); });
  // Sort by a column: a click (or Enter) on its header, again for the other direction.
  var headers = document.querySelectorAll('#analysis thead th[data-sort]');
  function sortBy(th) {
    var at = Array.prototype.indexOf.call(th.parentNode.children, th);
    var numeric = th.getAttribute('data-sort') === 'num';
    var down = th.getAttribute('aria-sort') === 'ascending';
    for (var h = 0; h < headers.length; h++) headers[h].removeAttribute('aria-sort');
    th.setAttribute('aria-sort', down ? 'descending' : 'ascending');
    var keyed = all.map(function (row, i) { return { row: row, key: row.children[at].textContent, i: i }; });
    keyed.sort(function (a, b) {
      var x = a.key, y = b.key, order;
      if (numeric) {
        // Empty cells (no figure) go last whichever the direction.
        if (x === '' || y === '') return (x === '') - (y === '') || a.i - b.i;
        order = Number(x) - Number(y);
      } else {
        order = x.localeCompare(y);
      }
      return (down ? -order : order) || a.i - b.i;
    });
    all = keyed.map(function (k) { return k.row; });
    apply();
  }
  for (var k = 0; k < headers.length; k++) {
    headers[k].addEventListener('click', function (event) { sortBy(event.currentTarget); });
    headers[k].addEventListener('keydown', function (event) { if (event.key === 'Enter') sortBy(event.currentTarget); });
  }
  var pickers = document.querySelectorAll('[data-filter]');
  for (var j = 0; j < pickers.length; j++) {
    pickers[j].addEventListener('click', function (event) {
      select.value = event.currentTarget.getAttribute('data-filter');
      apply();
    });
  }
  apply();
})();
`;
