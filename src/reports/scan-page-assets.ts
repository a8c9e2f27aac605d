/**
 * The fixed parts of the scan-level page: its policy, style sheet and one script. Plain JS
 * with no library, inline, so the page is one file that any browser opens offline.
 */
import { COMMENT_STYLES, commentCssColour } from './analysis-columns.js';
import { commentClass } from './html-assets.js';

/**
 * Nothing leaves the machine: inline styles and scripts, data: images, and local files only
 * for the originals this run has on disk ('self' for a page served from its folder, file:
 * for one opened from disk).
 */
export const SCAN_PAGE_CSP = "default-src 'none'; img-src data: 'self' file:; style-src 'unsafe-inline'; script-src 'unsafe-inline'";

export const SCAN_PAGE_CSS = `
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 1.5rem; color: #222; background: #fff; }
h1 { font-size: 1.4rem; margin: 0 0 .4rem; }
dl.run { display: grid; grid-template-columns: max-content auto; gap: .1rem 1rem; margin: 0 0 .6rem; color: #444; }
dl.run dt { font-weight: 600; }
dl.run dd { margin: 0; }
#scan-summary { font-size: 1.05rem; }
.overview { display: flex; flex-wrap: wrap; gap: 2rem; align-items: flex-start; margin-bottom: .8rem; }
table { border-collapse: collapse; }
th, td { border: 1px solid #bbb; padding: .2rem .45rem; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
#summary tbody tr { cursor: pointer; }
#summary td.n { text-align: right; font-variant-numeric: tabular-nums; }
.swatch { display: inline-block; width: .9rem; height: .9rem; border: 1px solid #888; vertical-align: -2px; margin-right: .4rem; }
.controls, .pager { margin: .6rem 0; display: flex; flex-wrap: wrap; gap: .4rem .8rem; align-items: center; }
#search { width: 16rem; }
.shown { margin-left: auto; }
.card { border: 1px solid #999; border-left-width: 8px; margin: 0 0 .8rem; background: #fff; }
.card > header { display: flex; flex-wrap: wrap; gap: .3rem 1rem; align-items: baseline; padding: .35rem .6rem; border-bottom: 1px solid #ccc; }
.card .comment { font-weight: 600; }
.card .badge { border-radius: .6rem; padding: 0 .5rem; font-size: 12px; }
.card .badge.drop { background: #c00; color: #fff; }
.card .mapby { color: #555; font-size: 12px; }
.card .body { display: flex; gap: 1rem; padding: .5rem .6rem; align-items: flex-start; }
.shots { display: flex; gap: .5rem; flex: none; }
.shot { margin: 0; width: 164px; }
.shot figcaption { font-size: 11px; color: #555; }
.shot button.enlarge { display: block; padding: 0; border: 1px solid #999; background: #eee; cursor: zoom-in; width: 164px; height: 124px; }
.shot img { display: block; max-width: 160px; max-height: 120px; margin: auto; }
.shot .noimg { width: 162px; height: 122px; border: 1px solid #999; background: #eee; color: #666; font-size: 11px; display: flex; align-items: center; justify-content: center; text-align: center; overflow: hidden; }
/* Sections side by side where there is room: a scan of three sections is not three screens tall. */
.sections { display: grid; grid-template-columns: repeat(auto-fit, minmax(26rem, 1fr)); gap: .4rem; flex: 1; min-width: 0; align-items: start; }
table.section { width: 100%; font-size: 12.5px; table-layout: fixed; }
table.section th:first-child { width: 8.5rem; }
table.section th.change, table.section td.change { width: 5.5rem; }
table.section.match { outline: 3px solid #333; outline-offset: 1px; }
table.section td { overflow-wrap: anywhere; white-space: pre-wrap; background: #fff; }
table.section td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.section td.diff { background: #ffd6d6; outline: 2px solid #c00; outline-offset: -2px; font-weight: 600; }
table.section td.diff::before { content: "\\2260  "; color: #c00; }
table.section td.up { color: #0550ae; }
table.section td.down { color: #b00; }
table.section td.down.beyond { font-weight: 700; background: #ffe3e3; }
table.section td.none { color: #888; font-style: italic; }
table.section tr.comment-row td { font-weight: 600; }
.empty { color: #666; }
#viewer { position: fixed; inset: 0; background: #181818; color: #eee; z-index: 10; display: flex; flex-direction: column; }
#viewer[hidden] { display: none; }
.viewer-bar { display: flex; gap: 1rem; align-items: center; padding: .4rem .8rem; }
.viewer-bar span { flex: 1; }
.viewer-panes { flex: 1; display: flex; gap: .6rem; padding: 0 .6rem .6rem; min-height: 0; }
.viewer-panes figure { flex: 1 1 0; margin: 0; overflow: auto; min-width: 0; display: flex; flex-direction: column; }
.viewer-panes img { max-width: 100%; max-height: calc(100vh - 6rem); object-fit: contain; align-self: center; background: #fff; }
.viewer-panes img.thumb-only { width: 100%; }
#viewer.actual .viewer-panes img { max-width: none; max-height: none; width: auto; align-self: flex-start; }
.viewer-panes figcaption { font-size: 12px; padding: .3rem 0; }
${COMMENT_STYLES.map((s, i) => `.card.${commentClass(i)} { border-left-color: ${commentCssColour(s.comment)}; } .card.${commentClass(i)} > header, tr.comment-row.${commentClass(i)} td { background-color: ${commentCssColour(s.comment)}; }`).join('\n')}
`;

/**
 * Filters (search, comment, drop), sort by any figure, paging, and the enlarged view. Only
 * the current page's cards are in the document, so 5,000 pairs cost what 50 do.
 */
export const SCAN_PAGE_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('scan-data').textContent);
  var pairs = data.pairs;
  var comments = data.comments;
  var size = data.pageSize;
  function $(id) { return document.getElementById(id); }
  var search = $('search'), select = $('comment-filter'), drops = $('drop-filter'), sort = $('sort'), direction = $('sort-direction');
  var cards = $('cards'), viewer = $('viewer');
  var order = [], shown = [], page = 0, ascending = true;
  for (var i = 0; i < pairs.length; i++) order.push(i);

  function esc(v) { return String(v === null || v === undefined ? '' : v).replace(/[&<>"']/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; }); }
  function change(a, b) { return a === null || b === null ? null : Math.round((b - a) * 100) / 100; }
  function signed(d) { return d === null ? '' : (d > 0 ? '+' : '') + d; }
  function same(a, b) { return a === b; }
  function yesNo(v) { return v === null ? null : v ? 'yes' : 'no'; }
  function cell(v, cls) { return v === null ? '<td class="none' + (cls ? ' ' + cls : '') + '">none</td>' : '<td' + (cls ? ' class="' + cls + '"' : '') + '>' + esc(v) + '</td>'; }

  function textRow(label, pair, compared) {
    var differs = compared && !same(pair[0], pair[1]);
    var cls = differs ? 'diff' : '';
    return '<tr' + (differs ? ' data-differs="1"' : '') + '><th>' + label + '</th>' + cell(pair[0], cls) + cell(pair[1], cls) + '<td class="change"></td></tr>';
  }
  function figureRow(label, pair, marked, beyond) {
    var d = change(pair[0], pair[1]);
    var cls = 'num change' + (d === null || d === 0 ? '' : d > 0 ? ' up' : ' down' + (beyond ? ' beyond' : ''));
    return '<tr><th>' + label + '</th>' + cell(pair[0], 'num') + cell(pair[1], 'num' + (marked ? ' diff' : '')) + '<td class="' + cls + '">' + signed(d) + '</td></tr>';
  }
  function section(s, wanted) {
    // Cells are marked only where the rules compared the two sides (the first five comments).
    var compared = s.comment < 5;
    return '<table class="section' + (s.comment === wanted ? ' match' : '') + '"><thead><tr><th></th><th>Source</th><th>Target</th><th class="change">Change</th></tr></thead><tbody>' +
      textRow('Planogram', s.planogram, compared) +
      textRow('Section', s.section, compared) +
      textRow('Additional section', [yesNo(s.additional[0]), yesNo(s.additional[1])], compared) +
      figureRow('Pre-POG %', s.prePog, s.comment === 3, s.drop) +
      figureRow('Post-POG %', s.postPog, false, false) +
      figureRow('Pre-OSA %', s.preOsa, false, false) +
      figureRow('Post-OSA %', s.postOsa, false, false) +
      '<tr><th>OK / wandering / OOS / holes</th>' + cell(s.counts[0][0] === null ? null : s.counts[0].join(' / '), 'num') + cell(s.counts[1][0] === null ? null : s.counts[1].join(' / '), 'num') + '<td class="change"></td></tr>' +
      '<tr class="comment-row c' + s.comment + '"><td colspan="4">' + esc(comments[s.comment]) + '</td></tr></tbody></table>';
  }
  function shot(side, id, at) {
    var label = side === 'source' ? 'Source' : 'Target';
    var img = id === null ? null : data.images[side][id];
    if (!img || img.thumb === undefined) {
      var why = id === null ? 'no ' + side + ' scan' : img ? img.note : 'no ' + side + ' image';
      return '<figure class="shot"><div class="noimg">' + esc(why) + '</div><figcaption>' + label + '</figcaption></figure>';
    }
    return '<figure class="shot"><button type="button" class="enlarge" data-index="' + at + '" title="Enlarge both images">' +
      '<img src="' + esc(data.thumbs[img.thumb]) + '" width="' + img.thumbWidth + '" height="' + img.thumbHeight + '" alt="' + side + ' scan ' + id + ', first image"></button>' +
      '<figcaption>' + label + ', ' + img.width + '&#215;' + img.height + (img.full ? ', original on disk' : ', thumbnail only') + '</figcaption></figure>';
  }
  function card(at) {
    var p = pairs[at];
    var h = '<article class="card c' + p.comment + '" data-source="' + p.source + '"><header>' +
      '<span class="ids">Source scan <b>' + p.source + '</b> &#8594; target scan <b>' + (p.target === null ? 'none' : p.target) + '</b></span>' +
      '<span class="comment">' + esc(comments[p.comment]) + '</span>' +
      (p.sections.length > 1 ? '<span>' + p.sections.length + ' sections</span>' : '') +
      (p.drop ? '<span class="badge drop">pre-POG % dropped by more than ' + data.tolerance + ' points</span>' : '') +
      (p.mapBy ? '<span class="mapby">target mapped by ' + esc(p.mapBy) + '</span>' : '') +
      '</header><div class="body"><div class="shots">' + shot('source', p.source, at) + shot('target', p.target, at) + '</div><div class="sections">';
    // With a comment filter on, the sections that have that comment are outlined.
    var wanted = select.value === '' ? -1 : Number(select.value);
    for (var k = 0; k < p.sections.length; k++) h += section(p.sections[k], wanted);
    return h + '</div></div></article>';
  }

  function render() {
    var pages = Math.max(1, Math.ceil(shown.length / size));
    if (page > pages - 1) page = pages - 1;
    var html = [];
    for (var k = page * size; k < Math.min(shown.length, (page + 1) * size); k++) html.push(card(shown[k]));
    cards.innerHTML = html.length > 0 ? html.join('') : '<p class="empty">No copy matches.</p>';
    $('page-number').textContent = String(page + 1);
    $('page-count').textContent = String(pages);
    $('prev').disabled = page === 0;
    $('next').disabled = page >= pages - 1;
    $('shown-count').textContent = String(shown.length);
  }
  function apply() {
    var query = search.value.trim().toLowerCase();
    var wanted = select.value === '' ? -1 : Number(select.value);
    shown = [];
    for (var k = 0; k < order.length; k++) {
      var p = pairs[order[k]];
      if ((wanted === -1 || p.comments.indexOf(wanted) !== -1) && (!drops.checked || p.drop) && (query === '' || p.search.indexOf(query) !== -1)) shown.push(order[k]);
    }
    page = 0;
    render();
  }
  function resort() {
    var at = Number(sort.value);
    order.sort(function (a, b) {
      var x = pairs[a].keys[at], y = pairs[b].keys[at];
      // A copy without the figure goes last whichever the direction; ties keep report order.
      if (x === null || y === null) return (x === null) - (y === null) || a - b;
      return (ascending ? x - y : y - x) || a - b;
    });
    direction.textContent = ascending ? 'ascending' : 'descending';
    apply();
  }

  function fill(figure, side, id) {
    var label = side === 'source' ? 'Source' : 'Target';
    var img = id === null ? null : data.images[side][id];
    figure.textContent = '';
    var caption = document.createElement('figcaption');
    if (!img || img.thumb === undefined) {
      caption.textContent = label + ': ' + (id === null ? 'no ' + side + ' scan' : img ? img.note : 'no ' + side + ' image');
      figure.appendChild(caption);
      return;
    }
    var el = document.createElement('img');
    el.alt = side + ' scan ' + id + ', first image';
    var thumbOnly = function (why) {
      el.src = data.thumbs[img.thumb];
      el.className = 'thumb-only';
      caption.textContent = label + ' scan ' + id + ': ' + why + ', so this is its ' + img.thumbWidth + '\\u00d7' + img.thumbHeight + ' thumbnail enlarged (the original is ' + img.width + '\\u00d7' + img.height + ').';
    };
    if (img.full) {
      el.onerror = function () { el.onerror = null; thumbOnly('the original is not at ' + decodeURI(img.full) + ' beside this page (moved?)'); };
      el.src = img.full;
      caption.textContent = label + ' scan ' + id + ': the original, ' + img.width + '\\u00d7' + img.height + (img.fullBytes ? ', ' + img.fullBytes : '') + ', ' + decodeURI(img.full);
    } else {
      thumbOnly('the original is not on disk for this run (analyse with a download folder of these scans to link it)');
    }
    figure.appendChild(el);
    figure.appendChild(caption);
  }
  function openViewer(at) {
    var p = pairs[at];
    fill($('viewer-source'), 'source', p.source);
    fill($('viewer-target'), 'target', p.target);
    $('viewer-title').textContent = 'Source scan ' + p.source + ' and target scan ' + (p.target === null ? 'none' : p.target);
    viewer.classList.remove('actual');
    $('viewer-actual').textContent = 'actual size';
    viewer.hidden = false;
    $('viewer-close').focus();
  }
  function closeViewer() { viewer.hidden = true; }

  cards.addEventListener('click', function (event) {
    var button = event.target.closest('button.enlarge');
    if (button) openViewer(Number(button.getAttribute('data-index')));
  });
  $('viewer-close').addEventListener('click', closeViewer);
  $('viewer-actual').addEventListener('click', function () {
    var actual = viewer.classList.toggle('actual');
    $('viewer-actual').textContent = actual ? 'fit to window' : 'actual size';
  });
  // At actual size the two panes scroll together, so the same part of both shelves stays in view.
  var panes = [$('viewer-source'), $('viewer-target')], expected = [null, null];
  panes.forEach(function (pane, i) {
    pane.addEventListener('scroll', function () {
      var mine = expected[i];
      if (mine && mine.left === pane.scrollLeft && mine.top === pane.scrollTop) return;
      var other = panes[1 - i];
      var ratio = function (a, b) { return b > 0 ? a / b : 0; };
      var left = Math.round(ratio(pane.scrollLeft, pane.scrollWidth - pane.clientWidth) * (other.scrollWidth - other.clientWidth));
      var top = Math.round(ratio(pane.scrollTop, pane.scrollHeight - pane.clientHeight) * (other.scrollHeight - other.clientHeight));
      other.scrollLeft = left;
      other.scrollTop = top;
      expected[1 - i] = { left: other.scrollLeft, top: other.scrollTop };
    });
  });
  viewer.addEventListener('click', function (event) { if (event.target === viewer || event.target.classList.contains('viewer-panes')) closeViewer(); });
  document.addEventListener('keydown', function (event) { if (event.key === 'Escape' && !viewer.hidden) closeViewer(); });
  search.addEventListener('input', apply);
  select.addEventListener('change', apply);
  drops.addEventListener('change', apply);
  sort.addEventListener('change', resort);
  direction.addEventListener('click', function () { ascending = !ascending; resort(); });
  $('prev').addEventListener('click', function () { page--; render(); window.scrollTo(0, cards.offsetTop); });
  $('next').addEventListener('click', function () { page++; render(); window.scrollTo(0, cards.offsetTop); });
  var pickers = document.querySelectorAll('#summary [data-filter]');
  for (var j = 0; j < pickers.length; j++) {
    pickers[j].addEventListener('click', function (event) { select.value = event.currentTarget.getAttribute('data-filter'); apply(); });
  }
  apply();
})();
`;
