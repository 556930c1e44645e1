// membudget's HTML views. Everything is drawn from the JSON blocks embedded in this file
// (the values `--format json` gives); nothing is fetched. d3-hierarchy (vendored above)
// lays out the treemap; the rest is plain DOM and SVG.
(function () {
  'use strict';
  var errors = [];
  window.addEventListener('error', function (e) { errors.push(String(e.message)); });
  var consoleError = console.error;
  console.error = function () {
    errors.push(Array.prototype.join.call(arguments, ' '));
    return consoleError.apply(console, arguments);
  };

  // ---------------------------------------------------------------------------------
  // Small helpers.

  function block(name) {
    var el = document.getElementById('membudget-' + name);
    return el ? JSON.parse(el.textContent) : null;
  }

  // Same rounding as the terminal views (render::human).
  function human(n) {
    var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    if (n < 1024) return n + ' B';
    var v = n, u = 0;
    while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
    return v.toFixed(1) + ' ' + units[u];
  }
  function sized(n) { return n < 1024 ? n + ' B' : n + ' B (' + human(n) + ')'; }
  function hex(n) {
    var s = Number(n).toString(16);
    while (s.length < 8) s = '0' + s;
    return '0x' + s;
  }
  function signed(d) {
    if (d === 0 || d == null) return d === 0 ? '0' : '';
    return (d > 0 ? '+' : '-') + human(Math.abs(d));
  }
  function pct(part, whole) { return whole ? (100 * part / whole).toFixed(2) + '%' : ''; }

  // h('td', {class: 'num'}, 'text', child...): attributes starting with "on" are listeners.
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        var v = attrs[k];
        if (v == null || v === false) continue;
        if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
        else if (k === 'text') el.textContent = v;
        else el.setAttribute(k, v);
      }
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c == null || c === false) continue;
      if (Array.isArray(c)) c.forEach(function (x) { if (x != null) el.append(x); });
      else el.append(c);
    }
    return el;
  }
  function num(bytes, text) {
    return h('td', { class: 'num', 'data-bytes': bytes }, text == null ? sized(bytes) : text);
  }
  function table(id, head, rows, numeric) {
    var tr = h('tr', null, head.map(function (t, i) {
      return h('th', { class: numeric && numeric.indexOf(i) >= 0 ? 'num' : null }, t);
    }));
    return h('table', { id: id }, h('thead', null, tr), h('tbody', null, rows));
  }
  function section(title, id) {
    var s = h('section', { id: id }, h('h2', null, title));
    document.getElementById('app').append(s);
    return s;
  }
  function deltaCell(d) {
    var cls = d > 0 ? 'delta grew' : d < 0 ? 'delta shrank' : 'delta';
    return h('td', { class: 'num ' + cls, 'data-delta': d == null ? null : d }, signed(d));
  }

  // ---------------------------------------------------------------------------------
  // Header, regions, stack/heap, reservations, warnings.

  function header(report, title, extra) {
    var app = document.getElementById('app');
    var e = report.elf;
    var src = report.regions_source;
    document.title = title + ': ' + report.file;
    app.append(h('h1', null, title + ': ', h('span', { class: 'mono', style: 'font-size:20px' }, report.file)));
    app.append(h('div', { class: 'sub' },
      'ELF' + e.class + ' ' + e.endian + '-endian ' + e.machine + ' ' + e.type +
      ', regions from ' + src.kind + (src.name ? ' ' + src.name : '') +
      ', ' + report.symbols.length + ' symbols, ' + report.sections.length + ' sections'));
    var labels = report.labels || {};
    var keys = Object.keys(labels);
    if (keys.length) {
      app.append(h('div', { id: 'labels' }, keys.map(function (k) {
        return h('span', { class: 'chip' }, k + ': ' + labels[k]);
      })));
    }
    if (extra) app.append(extra);
  }

  // `reserved`: the region's reserved bytes per owner, as the `--by region` rollup counts
  // them (the treemap block carries them).
  function usageBar(r, reserved, limits) {
    var bar = h('div', { class: 'bar' });
    var len = r.length || 1;
    var segs = [{ kind: 'used', name: 'used', bytes: r.used, width: r.used }]
      .concat(reserved.map(function (p) {
        return { kind: p.owner, name: p.key.slice(1, -1), bytes: p.bytes, width: p.bytes };
      }));
    segs.forEach(function (s) {
      if (s.width <= 0) return;
      var k = r.by_kind;
      var tip = s.kind === 'used'
        ? 'used ' + sized(r.used) + '. Sections by kind (a heap arena or stack inside a section counts as reserved, ' +
          'not used): code ' + human(k.code) + ', rodata ' + human(k.rodata) +
          ', data ' + human(k.data) + ', bss ' + human(k.bss) + ', uninit ' + human(k.uninit) +
          ', load images ' + human(k.load_image)
        : s.name + ' ' + sized(s.bytes);
      bar.append(h('div', {
        class: 'seg ' + s.kind, title: tip,
        style: 'width:' + Math.min(100, 100 * s.width / len).toFixed(3) + '%'
      }));
    });
    var caption = [];
    (limits || []).forEach(function (l) {
      if (l.at == null) return;
      var x = Math.min(100, 100 * l.at / len);
      bar.append(h('div', { class: 'limit ' + l.level, style: 'left:' + x.toFixed(3) + '%',
        title: l.level + ' at ' + sized(l.at) }));
      caption.push(h('span', { class: 'lim-' + l.level }, l.level + ' at ' + human(l.at) + ' (' + pct(l.at, len) + ')'));
    });
    if (r.overflow > 0) bar.append(h('div', { class: 'over', title: 'overflows by ' + sized(r.overflow) }));
    return caption.length ? h('div', null, bar, h('div', { class: 'bar-caption' }, caption)) : bar;
  }

  // `limits`: the check's region rows, or the budget limits a report page embeds (both have
  // name or region, warn_at and fail_at, in bytes).
  function regionsTable(report, tree, check, limitList) {
    var s = section('Regions', 'regions-section');
    limitList = check ? check.regions : limitList || [];
    var rows = report.regions.map(function (r, i) {
      var row = check && check.regions.filter(function (c) { return c.name === r.name; })[0];
      var lim = limitList.filter(function (c) { return (c.name || c.region) === r.name; })[0];
      var limits = lim ? [{ level: 'warn', at: lim.warn_at }, { level: 'fail', at: lim.fail_at }] : [];
      var over = r.overflow > 0 ? h('span', { class: 'tag shrank', style: 'background:var(--fail)' }, 'overflow +' + r.overflow) : null;
      var reservedText = r.reserved ? sized(r.reserved) : '0';
      var cells = [
        h('td', { class: 'name' }, h('b', null, r.name), ' ', over, r.inferred ? h('span', { class: 'small' }, ' (inferred)') : null),
        h('td', { class: 'mono' }, hex(r.origin)),
        num(r.length), num(r.used), num(r.reserved, reservedText), num(r.free),
        h('td', { class: 'num' }, r.percent_used.toFixed(2))
      ];
      if (check) cells.push(deltaCell(row ? row.delta : null));
      cells.push(h('td', { style: 'width:34%' }, usageBar(r, tree.reserved[i], limits)));
      return h('tr', { 'data-region': r.name }, cells);
    });
    var head = ['region', 'origin', 'length', 'used', 'reserved', 'free', '%'];
    if (check) head.push('change');
    head.push('usage');
    s.append(table('regions', head, rows, [2, 3, 4, 5, 6, 7]));
    s.append(h('div', { class: 'legend' },
      h('span', null, h('i', { style: 'background:var(--used)' }), 'used (code, constants, statics, load images)'),
      h('span', null, h('i', { style: 'background:var(--stack)' }), 'stack'),
      h('span', null, h('i', { style: 'background:var(--heap)' }), 'heap'),
      h('span', null, h('i', { style: 'background:var(--other)' }), 'reserved for others'),
      h('span', null, h('i', { style: 'background:var(--free);border:1px solid #ccd' }), 'free'),
      limitList.length ? h('span', null, h('i', { style: 'background:var(--warn)' }), 'warn / ',
        h('i', { style: 'background:var(--fail)' }), 'fail limit') : null));
  }

  // The stack and the heap arenas as they lie in memory: highest address first, each range
  // written top (high) to bottom (low), so the stack reads the way it grows, downwards.
  function stackHeap(report) {
    var s = section('Stack and heap', 'stack-heap');
    var items = [];
    var st = report.stack;
    if (st) {
      items.push({ hi: st.top, lo: st.bottom, what: st.sized ? 'stack \u2193 grows down from its top'
        : 'stack \u2193 room: grows down into the free space below it', region: st.region, size: st.size,
        source: st.source, kind: 'stack' });
    }
    report.heap.forEach(function (a) {
      items.push({ hi: a.addr + a.size, lo: a.addr, what: 'heap arena ' + a.name, region: a.region, size: a.size,
        source: a.source, kind: 'heap' });
    });
    if (!items.length) { s.append(h('p', { class: 'empty' }, 'No stack or heap found.')); return; }
    items.sort(function (x, y) { return y.hi - x.hi || y.lo - x.lo; });
    s.append(table('stack-table', ['what', 'region', 'top (high address)', 'bottom (low address)', 'size', 'source'],
      items.map(function (it) {
        return h('tr', { 'data-kind': it.kind }, h('td', null, it.what), h('td', null, it.region || '(no region)'),
          h('td', { class: 'mono' }, hex(it.hi)), h('td', { class: 'mono' }, hex(it.lo)), num(it.size),
          h('td', { class: 'mono' }, it.source));
      }), [4]));
    var need = report.stack_need;
    if (!st && !need) return;
    // The stack's room as a gauge, top on the left: the static worst case fills it from the
    // top down, as the stack itself does.
    var text = [];
    var over = false;
    if (need) {
      var bound = (need.complete ? '' : 'at least ') + sized(need.total);
      over = st && st.size > 0 && need.total > st.size;
      // A stack with no sized room (it grows into whatever is free) has nothing to divide by.
      var room = st && st.size > 0 ? ' of ' + sized(st.size) + ' (' + pct(need.total, st.size) + ')'
        : st ? ' (the stack has no sized room: it grows into the free space)' : '';
      text.push(h('b', null, 'Stack needs ' + bound + room),
        over ? h('span', { class: 'tag shrank', style: 'background:var(--fail);margin-left:6px' }, 'does not fit') : null,
        h('span', { class: 'small' }, ' worst case from the machine code (' + need.arch + '; roots: ' +
          need.roots.map(function (r) { return r.name + ' ' + (r.complete ? '' : '\u2265') + r.worst_case + ' B'; }).join(', ') +
          (need.unresolved.length ? '; ' + need.unresolved.length + ' unresolved' : '') + ')'));
    } else {
      text.push(h('b', null, 'Stack room ' + sized(st.size)), h('span', { class: 'small' }, ' (no static worst case for this image)'));
    }
    s.append(h('p', { id: 'stack-need' }, text));
    if (st && st.size > 0) {
      var gauge = h('div', { class: 'bar stack-gauge', id: 'stack-gauge' });
      if (need) {
        gauge.append(h('div', { class: 'seg stack', title: 'worst case ' + sized(need.total),
          style: 'width:' + Math.min(100, 100 * need.total / st.size).toFixed(3) + '%' }));
      }
      if (over) gauge.append(h('div', { class: 'over', title: 'past the bottom by ' + sized(need.total - st.size) }));
      s.append(gauge, h('div', { class: 'bar-caption' }, h('span', null, 'top ' + hex(st.top) + ' \u2193'),
        h('span', { style: 'margin-left:auto' }, 'bottom ' + hex(st.bottom))));
    }
  }

  function reservations(report) {
    if (!report.reservations.length) return;
    var s = section('Reservations', 'reservations');
    s.append(table('reservations-table', ['name', 'region', 'origin', 'length', 'overlapped by the image'],
      report.reservations.map(function (r) {
        var o = r.sections.map(function (x) { return x.section + ' ' + sized(x.bytes); }).join(', ');
        return h('tr', { class: r.overlap > 0 ? 'fail' : null }, h('td', null, r.name),
          h('td', null, r.region || '(no region)'), h('td', { class: 'mono' }, hex(r.origin)),
          num(r.length), h('td', null, r.overlap > 0 ? o : 'nothing'));
      }), [3]));
  }

  function warnings(list, title, id) {
    if (!list.length) return;
    var s = section(title, id);
    s.append(h('ul', { class: 'warnings' }, list.map(function (w) { return h('li', null, w); })));
  }

  // ---------------------------------------------------------------------------------
  // The treemap tree: region -> section -> crate or directory -> file -> symbol, as Rust
  // computed it (analyze::treemap): each level keyed as the `--by` rollup of that level, so
  // a level's cells add up to its rollup rows. Here it only gets parent links and the
  // fields the cells and tooltips read. A node is [key, to, bytes, children | reserved |
  // null, section kind?], a symbol leaf [index into report.symbols, bytes]; a node stands
  // for the levels after its parent's `to` up to its own.

  var LEVEL_KIND = [null, 'region', 'section', null, 'file', 'symbol'];

  function buildTree(report, tree) {
    var groupKind = tree.group_by === 'crate' ? 'crate' : 'directory';
    var nextId = 0;
    function make(a, parent, from) {
      if (typeof a[0] === 'number') {
        var sym = report.symbols[a[0]];
        return { id: nextId++, name: sym.name, kind: 'symbol', parent: parent, value: a[1], nsym: 1,
          children: null, sym: sym, from: from, to: 5 };
      }
      var n = { id: nextId++, name: a[0], parent: parent, value: a[2], nsym: 0, from: from, to: a[1],
        children: null, sectionKind: a[4] };
      var body = a[3];
      if (Array.isArray(body)) {
        n.kind = from === 0 ? 'root' : from === 3 ? groupKind : LEVEL_KIND[from];
        n.children = body.map(function (c) { return make(c, n, n.to + 1); });
        n.children.forEach(function (c) { n.nsym += c.nsym; });
      } else if (body) {
        n.kind = 'reserved';
        n.reserved = body;
      } else {
        n.kind = 'unattributed';
      }
      return n;
    }
    return make(tree.root, null, 0);
  }

  // ---------------------------------------------------------------------------------
  // The zoomable treemap view: the current node's children and grandchildren. Children too
  // small to see (or beyond the first MAX_CELLS) are grouped into one "smaller items" cell,
  // so the page stays fast with tens of thousands of symbols; zooming into it shows them.

  var MAX_CELLS = 150;
  var MIN_AREA = 120;  // px^2
  // One colour scheme, shown in the legend: a cell is coloured by the kind of memory it is,
  // the kind of its section (code, read-only data, data, zeroed, uninitialised), or who
  // reserves it (the region bars' stack, heap and others' colours), or grey for bytes no
  // symbol covers. Inside a section, siblings only alternate lightness, so that neighbours
  // stay apart without colours that would mean something else.
  var KIND_COLOUR = { code: '#3f6fd8', rodata: '#2a9d8f', data: '#e76f51', bss: '#8e5bc7',
    uninit: '#7a8699' };
  var HUES = [
    ['kind-code', KIND_COLOUR.code, 'code'], ['kind-rodata', KIND_COLOUR.rodata, 'read-only data'],
    ['kind-data', KIND_COLOUR.data, 'initialised data'], ['kind-bss', KIND_COLOUR.bss, 'zeroed data (.bss)'],
    ['kind-uninit', KIND_COLOUR.uninit, 'uninitialised'], ['unattributed', '#b8bfcb', 'unattributed (padding, fill)'],
    ['reserved-stack', '#d9822b', 'stack'], ['reserved-heap', '#b5632a', 'heap arena'],
    ['reserved-external', '#c2477a', 'reserved for others'], ['region', '#3a4356', 'region'],
    ['mixed', '#5d6678', 'several kinds (grouped small items)']];
  var HUE = {};
  HUES.forEach(function (x) { HUE[x[0]] = x[1]; });

  // The hue key of a node: its own kind, or the kind of the section it lies in.
  function hueOf(n) {
    if (n.kind === 'root' || n.kind === 'region') return 'region';
    if (n.kind === 'reserved') return 'reserved-' + n.reserved.owner;
    if (n.kind === 'unattributed') return 'unattributed';
    if (n.kind === 'others') {
      // Grouped small items: their common hue, else their section's kind.
      var k = n.children.map(hueOf);
      if (k.every(function (x) { return x === k[0]; })) return k[0];
      return n.parent.kind === 'root' || n.parent.kind === 'region' ? 'mixed' : hueOf(n.parent);
    }
    for (var x = n; x; x = x.parent) {
      if (x.kind === 'section') return HUE['kind-' + x.sectionKind] ? 'kind-' + x.sectionKind : 'mixed';
    }
    return 'mixed';
  }

  function Treemap(container, root) {
    this.root = root;
    this.cur = root;
    this.query = '';
    this.matches = [];
    this.box = h('div', { id: 'treemap' });
    this.crumbs = h('div', { class: 'crumbs' });
    this.count = h('span', { class: 'small', id: 'search-count' });
    this.results = h('div', { class: 'results', id: 'search-results' });
    this.tip = h('div', { id: 'tooltip' });
    var self = this;
    var timer = null;
    this.input = h('input', { type: 'search', id: 'search', placeholder: 'search symbols (name or raw name)',
      oninput: function () { clearTimeout(timer); timer = setTimeout(function () { self.search(self.input.value); }, 150); } });
    container.append(h('div', { class: 'tm-bar' }, this.input, this.count, this.crumbs), this.box, this.results);
    document.body.append(this.tip);
    this.box.addEventListener('mouseleave', function () { self.tip.style.display = 'none'; });
    window.addEventListener('resize', function () { self.render(); });
    this.render();
  }

  Treemap.prototype.others = function (parent, items) {
    var o = { id: 'o' + parent.id, name: items.length + ' smaller items', kind: 'others', parent: parent,
      children: items, value: 0, nsym: 0 };
    items.forEach(function (c) { o.value += c.value; o.nsym += c.nsym; o.hits = (o.hits || 0) + (c.hits || 0); });
    return o;
  };

  // The visible part of the tree, two levels deep, small children grouped.
  Treemap.prototype.visible = function (n, depth, area) {
    var v = { n: n, value: n.value };
    if (depth < 2 && n.children && n.children.length) {
      // Regions always get a cell, and so do a region's sections when it is zoomed into.
      var few = depth === 0 && (n.kind === 'root' || n.kind === 'region');
      var min = few ? 0 : n.value * MIN_AREA / Math.max(area, 1);
      var kids = [], rest = [];
      var self = this;
      n.children.forEach(function (c) {
        // Search matches keep a cell of their own, however small.
        if (kids.length < MAX_CELLS && (c.value >= min || (self.query && c.hits))) kids.push(c); else rest.push(c);
      });
      if (rest.length === 1) { kids.push(rest[0]); rest = []; }
      v.children = kids.map(function (c) { return self.visible(c, depth + 1, area * c.value / n.value); });
      if (rest.length) v.children.push({ n: this.others(n, rest), value: rest.reduce(function (a, c) { return a + c.value; }, 0) });
    }
    return v;
  };

  Treemap.prototype.render = function () {
    var W = this.box.clientWidth || 1200, H = this.box.clientHeight || 560;
    this.box.textContent = '';
    this.renderCrumbs();
    if (!this.cur.value) { this.box.append(h('p', { class: 'empty', style: 'padding:10px' }, 'Nothing to show.')); return; }
    var vis = this.visible(this.cur, 0, W * H);
    var root = d3.hierarchy(vis, function (d) { return d.children; })
      .sum(function (d) { return d.children ? 0 : d.value; });
    // paddingOuter sets all four sides: paddingTop must come after it.
    d3.treemap().tile(d3.treemapSquarify).size([W, H]).round(true)
      .paddingOuter(function (d) { return d.depth === 1 ? 2 : 0; })
      .paddingTop(function (d) { return d.depth === 1 ? 17 : 0; })
      .paddingInner(2)(root);
    var self = this;
    var frag = document.createDocumentFragment();
    var top = root.children || [];
    top.forEach(function (d1, i) {
      frag.append(self.cell(d1, i));
      (d1.children || []).forEach(function (d2, j) { frag.append(self.cell(d2, j)); });
    });
    this.box.append(frag);
  };

  // A cell's fill: its hue; symbols, files and groups alternate lightness among siblings,
  // lighter one level down.
  Treemap.prototype.fill = function (n, hue, depth, j) {
    var base = HUE[hue];
    if (['root', 'region', 'section', 'reserved', 'unattributed', 'others'].indexOf(n.kind) >= 0) return base;
    var p = (depth === 1 ? 100 : 80) - (j % 3) * 12;
    return p === 100 ? base : 'color-mix(in srgb, ' + base + ' ' + p + '%, white)';
  };

  Treemap.prototype.cell = function (d, j) {
    var n = d.data.n, w = d.x1 - d.x0, ht = d.y1 - d.y0;
    var hue = hueOf(n);
    var colour = this.fill(n, hue, d.depth, j);
    var cls = 'cell d' + d.depth + ' k-' + n.kind;
    if (n.kind === 'others') cls += ' others';
    if (n.kind === 'reserved') cls += ' reserved';
    if (n.kind === 'unattributed') cls += ' unattributed';
    if (this.query && n.hits) cls += n.kind === 'symbol' ? ' hit match' : ' hit';
    var el = h('div', { class: cls, 'data-name': n.name, 'data-hue': hue,
      style: 'left:' + d.x0 + 'px;top:' + d.y0 + 'px;width:' + w + 'px;height:' + ht + 'px;background-color:' + colour });
    if ((d.depth === 1 && w > 30) || (w > 44 && ht > 14)) {
      el.append(h('div', { class: 'lbl' }, n.name + (w > 110 ? ' ' + human(n.value) : '')));
    }
    var self = this;
    el.addEventListener('mousemove', function (ev) { ev.stopPropagation(); self.showTip(n, ev); });
    el.addEventListener('click', function (ev) {
      ev.stopPropagation();
      if (n.children && n.children.length) { self.cur = n; self.render(); }
    });
    return el;
  };

  Treemap.prototype.path = function (n) {
    var p = [];
    for (var x = n; x; x = x.parent) p.unshift(x);
    return p;
  };

  Treemap.prototype.renderCrumbs = function () {
    var self = this;
    this.crumbs.textContent = '';
    this.path(this.cur).forEach(function (n, i) {
      if (i) self.crumbs.append(h('span', { class: 'sep' }, '\u203a'));
      self.crumbs.append(h('a', { onclick: function () { self.cur = n; self.render(); } }, i ? n.name : 'all regions'));
    });
    this.crumbs.append(h('span', { class: 'small' }, '  ' + sized(this.cur.value)));
  };

  Treemap.prototype.showTip = function (n, ev) {
    var t = this.tip;
    t.textContent = '';
    function row(k, v) { if (v != null && v !== '') t.append(h('div', null, h('span', { class: 'k' }, k + ': '), String(v))); }
    t.append(h('div', null, h('b', null, n.name)));
    var parent = n.parent;
    row('kind', n.kind === 'section' ? 'section (' + n.sectionKind + ')' : n.kind);
    row('size', sized(n.value) + (parent && parent.value ? ', ' + pct(n.value, parent.value) + ' of ' + parent.name : ''));
    row('in', this.path(n).slice(1, -1).map(function (x) { return x.name; }).join(' \u203a '));
    if (n.sym) {
      var s = n.sym;
      row('address', hex(s.addr) + (s.size !== n.value ? ' (symbol size ' + s.size + ')' : ''));
      row('raw name', s.raw !== s.name ? s.raw : null);
      row('section', s.section);
      row('region', (s.region || '(no region)') + (s.load_region ? ', image in ' + s.load_region : ''));
      row('crate', s.crate);
      row('file', s.file ? s.file + (s.line ? ':' + s.line : '') : null);
      row('aliases', s.aliases ? s.aliases.join(', ') : null);
    } else if (n.reserved) {
      var p = n.reserved;
      row('held by', p.owner === 'stack' ? 'the stack' : p.owner === 'heap' ? 'heap arena ' + p.name : 'reservation ' + p.name);
      row('range', hex(p.origin) + '..' + hex(p.origin + p.length) + ' (' + sized(p.length) + ')');
    } else if (n.nsym) {
      row('symbols', n.nsym);
    }
    if (n.children && n.children.length) row('click', 'zoom in');
    t.style.display = 'block';
    var x = ev.clientX + 14, y = ev.clientY + 14;
    if (x + t.offsetWidth > window.innerWidth) x = ev.clientX - t.offsetWidth - 10;
    if (y + t.offsetHeight > window.innerHeight) y = ev.clientY - t.offsetHeight - 10;
    t.style.left = Math.max(0, x) + 'px';
    t.style.top = Math.max(0, y) + 'px';
  };

  // Marks every symbol leaf whose demangled or raw name contains the query, and counts
  // the hits up the tree so the cells on the way to a match are outlined.
  Treemap.prototype.search = function (q) {
    this.query = q = q.trim().toLowerCase();
    var matches = this.matches = [];
    (function walk(n) {
      n.hits = 0;
      if (!n.children) {
        if (q && n.sym && (n.sym.name.toLowerCase().indexOf(q) >= 0 || n.sym.raw.toLowerCase().indexOf(q) >= 0)) {
          n.hits = 1; matches.push(n);
        }
        return;
      }
      n.children.forEach(function (c) { walk(c); n.hits += c.hits; });
    })(this.root);
    this.count.textContent = q ? matches.length + ' match' + (matches.length === 1 ? '' : 'es') : '';
    this.results.textContent = '';
    var self = this;
    matches.slice(0, 100).forEach(function (m) {
      self.results.append(h('div', { class: 'result', onclick: function () { self.cur = m.parent; self.render(); } },
        h('span', { class: 'mono' }, m.name), ' ', h('span', { class: 'small' },
          sized(m.value) + ' in ' + self.path(m).slice(1, 3).map(function (x) { return x.name; }).join(' \u203a '))));
    });
    if (matches.length > 100) this.results.append(h('div', { class: 'small' }, '... and ' + (matches.length - 100) + ' more'));
    this.render();
  };

  function treemapSection(report, tree, title) {
    var s = section(title || 'Treemap', 'treemap-section');
    s.append(h('p', { class: 'small' }, 'Region \u203a section \u203a crate or directory \u203a file \u203a symbol. ' +
      'Click a cell to zoom in, the path above to zoom out; hover for details. Areas add up to the ' +
      '--by rollups; small items are grouped.'));
    var tm = new Treemap(s, buildTree(report, tree));
    s.append(h('div', { class: 'legend', id: 'treemap-legend' }, HUES.map(function (x) {
      return h('span', { 'data-hue': x[0] }, h('i', { style: 'background:' + x[1] }), x[2]);
    }), h('span', null, h('i', { style: 'background:var(--hit)' }), 'search match')));
    return tm;
  }

  // ---------------------------------------------------------------------------------
  // check: verdict and findings first, then the changes since the baseline.

  function findings(list, level, title, id) {
    if (!list.length) return;
    var s = section(title, id);
    s.append(table(id + '-table', ['what', 'limit', 'actual', 'over by', 'detail'], list.map(function (f) {
      return h('tr', { class: level, 'data-kind': f.kind }, h('td', null, h('b', null, f.what)),
        h('td', null, f.limit), h('td', null, f.actual),
        h('td', { class: 'num' }, f.over_by != null ? sized(f.over_by) : ''), h('td', { class: 'small' }, f.message));
    }), [3]));
  }

  var CHANGE_KINDS = [['moved', 'moved region', 'moved'], ['grown', 'grew', 'grew'], ['added', 'new', 'new'],
    ['shrunk', 'shrank', 'shrank'], ['removed', 'removed', 'removed']];

  function placement(p) { return p ? (p.region || '(no region)') + ' ' + p.section : ''; }

  function symbolChanges(symbols, limit) {
    var rows = [];
    CHANGE_KINDS.forEach(function (k) {
      (symbols[k[0]] || []).slice(0, limit).forEach(function (c) {
        rows.push(h('tr', { 'data-change': k[2] }, h('td', null, h('span', { class: 'tag ' + k[2] }, k[1])),
          h('td', { class: 'mono name' }, c.name), h('td', null, placement(c.old)), h('td', null, placement(c.new)),
          num(c.old ? c.old.bytes : 0, c.old ? sized(c.old.bytes) : ''), num(c.new ? c.new.bytes : 0, c.new ? sized(c.new.bytes) : ''),
          deltaCell(c.delta)));
      });
      var more = (symbols[k[0]] || []).length - limit;
      if (more > 0) rows.push(h('tr', null, h('td', { colspan: 7, class: 'small' }, '... ' + more + ' more ' + k[1])));
    });
    return rows;
  }

  function changes(check) {
    var s = section('Changes since the baseline', 'changes');
    var d = check.changes;
    if (!d) { s.append(h('p', { class: 'empty' }, 'The budget has no baseline yet (run membudget bless).')); return; }
    if (d.sections.length) {
      s.append(h('h3', null, 'Sections'));
      s.append(table('section-changes', ['section', 'region before', 'region after', 'before', 'after', 'change'],
        d.sections.map(function (x) {
          var moved = x.old_region !== x.new_region && x.old != null && x.new != null;
          return h('tr', null, h('td', { class: 'mono' }, x.name, moved ? h('span', { class: 'tag moved', style: 'margin-left:6px' }, 'moved region') : null),
            h('td', null, x.old_region || ''), h('td', null, x.new_region || ''),
            num(x.old || 0, x.old != null ? sized(x.old) : 'new'), num(x.new || 0, x.new != null ? sized(x.new) : 'removed'), deltaCell(x.delta));
        }), [3, 4, 5]));
    }
    var rows = symbolChanges(d.symbols, 25);
    s.append(h('h3', null, 'Symbols'));
    if (!rows.length) s.append(h('p', { class: 'empty' }, 'No symbol changed.'));
    else s.append(table('symbol-changes', ['change', 'symbol', 'before', 'after', 'old size', 'new size', 'change'], rows, [4, 5, 6]));
  }

  function groups(check) {
    if (!check.groups.length) return;
    var s = section('Groups', 'groups');
    s.append(table('groups-table', ['group', 'bytes', 'symbols', 'warn at', 'fail at', 'placed in'], check.groups.map(function (g) {
      var cls = g.fail_at != null && g.bytes > g.fail_at ? 'fail' : g.warn_at != null && g.bytes > g.warn_at ? 'warn' : null;
      return h('tr', { class: cls }, h('td', null, g.name), num(g.bytes), h('td', { class: 'num' }, g.symbols),
        h('td', { class: 'num' }, g.warn_at != null ? human(g.warn_at) : ''), h('td', { class: 'num' }, g.fail_at != null ? human(g.fail_at) : ''),
        h('td', null, g.placed.map(function (p) { return p[0] + ' ' + human(p[1]); }).join(', ')));
    }), [1, 2, 3, 4]));
  }

  // ---------------------------------------------------------------------------------
  // dashboard: usage over builds, growers, the latest build's treemap.

  function buildLabel(b, i) {
    var l = b.labels || {};
    return l.build || l.commit && l.commit.slice(0, 10) || l.date || '#' + (i + 1);
  }

  // One small SVG line chart per region. Plain SVG: a polyline and a few ticks need no
  // charting library.
  function regionChart(name, builds, limit) {
    var W = 460, H = 200, L = 64, R = 12, T = 12, B = 34;
    var pts = builds.map(function (b, i) {
      var r = b.regions.filter(function (x) { return x.name === name; })[0];
      return r ? { i: i, v: r.used + r.reserved, len: r.length } : null;
    });
    var vals = pts.filter(Boolean);
    var length = vals.length ? vals[vals.length - 1].len : 0;
    var max = Math.max.apply(null, vals.map(function (p) { return p.v; }).concat([1]));
    var lines = [];
    if (limit) {
      if (limit.warn_at != null) lines.push({ cls: 'lim warn', v: limit.warn_at, text: 'warn ' + human(limit.warn_at) });
      if (limit.fail_at != null) lines.push({ cls: 'lim fail', v: limit.fail_at, text: 'fail ' + human(limit.fail_at) });
    }
    lines.push({ cls: 'cap', v: length, text: 'capacity ' + human(length) });
    // Keep the data legible: a capacity far above the usage is noted, not drawn to scale.
    var top = max * 1.15;
    lines.forEach(function (l) { if (l.v <= max * 4) top = Math.max(top, l.v * 1.05); });
    var n = Math.max(builds.length - 1, 1);
    function x(i) { return L + (W - L - R) * (builds.length === 1 ? 0.5 : i / n); }
    function y(v) { return T + (H - T - B) * (1 - v / top); }
    var ns = 'http://www.w3.org/2000/svg';
    function s(tag, attrs, text) {
      var e = document.createElementNS(ns, tag);
      for (var k in attrs) e.setAttribute(k, attrs[k]);
      if (text != null) e.textContent = text;
      return e;
    }
    var svg = s('svg', { viewBox: '0 0 ' + W + ' ' + H, preserveAspectRatio: 'none', 'data-region': name });
    svg.append(s('line', { class: 'axis', x1: L, x2: W - R, y1: H - B, y2: H - B }));
    svg.append(s('line', { class: 'axis', x1: L, x2: L, y1: T, y2: H - B }));
    [0, 0.5, 1].forEach(function (f) {
      svg.append(s('text', { x: L - 4, y: y(top * f / 1.0) + 3, 'text-anchor': 'end' }, human(Math.round(top * f))));
    });
    var off = [];
    lines.forEach(function (l) {
      if (l.v > top) { off.push(l.text); return; }
      svg.append(s('line', { class: l.cls, x1: L, x2: W - R, y1: y(l.v), y2: y(l.v) }));
      svg.append(s('text', { x: W - R - 2, y: y(l.v) - 3, 'text-anchor': 'end' }, l.text));
    });
    var d = '';
    vals.forEach(function (p, k) { d += (k ? 'L' : 'M') + x(p.i).toFixed(1) + ',' + y(p.v).toFixed(1); });
    svg.append(s('path', { class: 'line', d: d, stroke: 'var(--used)' }));
    vals.forEach(function (p) {
      var c = s('circle', { cx: x(p.i), cy: y(p.v), r: 3, fill: 'var(--used)' });
      c.append(s('title', {}, buildLabel(builds[p.i], p.i) + ': ' + sized(p.v)));
      svg.append(c);
    });
    var step = Math.max(1, Math.ceil(builds.length / 8));
    builds.forEach(function (b, i) {
      if (i % step && i !== builds.length - 1) return;
      svg.append(s('text', { x: x(i), y: H - B + 14, 'text-anchor': 'middle' }, buildLabel(b, i)));
    });
    var last = vals.length ? vals[vals.length - 1].v : 0;
    return h('div', { class: 'card chart' }, h('h3', null, name, ' ', h('span', { class: 'small' },
      sized(last) + (length ? ' of ' + human(length) + ' (' + pct(last, length) + ')' : ''))), svg,
      off.length ? h('div', { class: 'small' }, 'above the chart: ' + off.join(', ')) : null);
  }

  function dashboard(dash) {
    var app = document.getElementById('app');
    var builds = dash.builds;
    var latest = dash.latest;
    document.title = 'membudget dashboard: ' + latest.file;
    app.append(h('h1', null, 'membudget dashboard: ', h('span', { class: 'mono', style: 'font-size:20px' }, latest.file)));
    app.append(h('div', { class: 'sub' }, builds.length + ' build' + (builds.length === 1 ? '' : 's') + ', latest:'),
      h('div', { id: 'labels' }, Object.keys(latest.labels || {}).map(function (k) { return h('span', { class: 'chip' }, k + ': ' + latest.labels[k]); })));
    if (dash.firmware && dash.firmware.length > 1) {
      app.append(h('div', { class: 'verdict fail', id: 'mixed' }, 'These builds are of ' + dash.firmware.length +
        ' different firmware: ', dash.firmware.map(function (f) {
          return f.file + ' [' + f.regions.join(', ') + '] (' + f.builds.length + ' build' + (f.builds.length === 1 ? '' : 's') + ')';
        }).join('; '), h('div', { style: 'font-weight:400;font-size:13px' },
          'Their lines are not comparable; made with --allow-mixed.')));
    }
    var s = section('Usage per region over builds', 'usage');
    var names = [];
    builds.forEach(function (b) { b.regions.forEach(function (r) { if (names.indexOf(r.name) < 0) names.push(r.name); }); });
    s.append(h('div', { class: 'charts' }, names.map(function (n) {
      return regionChart(n, builds, (dash.limits || []).filter(function (l) { return l.region === n; })[0]);
    })));
    var g = section('Largest growers between consecutive builds', 'growers');
    var steps = dash.steps.slice().reverse();
    if (!steps.length) g.append(h('p', { class: 'empty' }, 'Only one build so far.'));
    steps.slice(0, 10).forEach(function (st) {
      var from = builds[st.from], to = builds[st.to];
      var total = st.regions.map(function (r) { return r.name + ' ' + signed(r.delta); }).filter(function (t) { return !/ 0$/.test(t); });
      g.append(h('h3', null, buildLabel(from, st.from) + ' \u2192 ' + buildLabel(to, st.to), ' ',
        h('span', { class: 'small' }, total.length ? total.join(', ') : 'no region changed')));
      if (!st.growers.length) { g.append(h('p', { class: 'empty' }, 'No symbol grew.')); return; }
      g.append(table(null, ['change', 'symbol', 'before', 'after', 'old size', 'new size', 'change'], st.growers.map(function (c) {
        var kind = c.old == null ? 'new' : c.new && c.old.region !== c.new.region ? 'moved' : 'grew';
        var text = kind === 'moved' ? 'moved region' : kind;
        return h('tr', { 'data-change': kind }, h('td', null, h('span', { class: 'tag ' + kind }, text)),
          h('td', { class: 'mono name' }, c.name), h('td', null, placement(c.old)), h('td', null, placement(c.new)),
          num(c.old ? c.old.bytes : 0, c.old ? sized(c.old.bytes) : ''), num(c.new ? c.new.bytes : 0, c.new ? sized(c.new.bytes) : ''),
          kind === 'moved' ? h('td', { class: 'num delta grew' }, '+' + human(c.new.bytes) + ' in ' + c.new.region) : deltaCell(c.delta));
      }), [4, 5, 6]));
    });
    return treemapSection(latest, block('treemap'), 'Treemap of the latest build');
  }

  // ---------------------------------------------------------------------------------
  // Self-test hook for the browser tests: open the page with #selftest&search=NAME and it
  // writes what the DOM shows into <pre id="selftest">.

  // Deep links: #search=TEXT and #zoom=REGION&zoom=SECTION... open the page searched and
  // zoomed.
  function applyHash(tm) {
    var params = new URLSearchParams(location.hash.slice(1));
    if (!tm) return params;
    var q = params.get('search') || '';
    if (q) { tm.input.value = q; tm.search(q); }
    var n = tm.root;
    params.getAll('zoom').forEach(function (name) {
      var c = n && n.children && n.children.filter(function (x) { return x.name === name; })[0];
      n = c || null;
    });
    if (n && n !== tm.root && n.children) { tm.cur = n; tm.render(); }
    return params;
  }

  function treeLevels(root) {
    var sums = [{}, {}, {}, {}, {}];
    (function walk(n, region) {
      if (n.from === 1) region = n.name;
      for (var l = Math.max(n.from, 1); l <= n.to; l++) {
        var k = JSON.stringify([region, n.name]);
        sums[l - 1][k] = (sums[l - 1][k] || 0) + n.value;
      }
      (n.children || []).forEach(function (c) { walk(c, region); });
    })(root, null);
    return sums.map(function (m) {
      return Object.keys(m).sort().map(function (k) { return JSON.parse(k).concat([m[k]]); });
    });
  }

  function selftest(tm, params) {
    if (!params.has('selftest')) return;
    var text = function (el) { return el ? el.textContent : null; };
    var out = {
      page: document.body.dataset.page,
      title: document.title,
      regions: Array.prototype.map.call(document.querySelectorAll('#regions tbody tr'), function (tr) {
        var td = tr.querySelectorAll('td');
        return { name: tr.dataset.region, cells: Array.prototype.map.call(td, text) };
      }),
      top_cells: tm ? Array.prototype.map.call(tm.box.querySelectorAll('.cell.d1'), function (c) {
        return c.dataset.name;
      }) : [],
      cells: tm ? tm.box.querySelectorAll('.cell').length : 0,
      hit_cells: tm ? Array.prototype.map.call(tm.box.querySelectorAll('.cell.hit'), function (c) { return c.dataset.name; }) : [],
      match_cells: tm ? Array.prototype.map.call(tm.box.querySelectorAll('.cell.match'), function (c) { return c.dataset.name; }) : [],
      results: Array.prototype.map.call(document.querySelectorAll('#search-results .result .mono'), text),
      // The tree's sums per region and per region/section, to compare with the rollups.
      tree: tm ? tm.root.children.map(function (r) {
        return { name: r.name, bytes: r.value, sections: r.children.map(function (s) { return [s.name, s.value]; }) };
      }) : [],
      // Per level of the tree (1 region .. 5 symbol): [region, key, bytes] summed over the
      // nodes that stand for that level, to compare with the `--by` rollups; and the key of
      // the third level.
      levels: tm ? treeLevels(tm.root) : [],
      group_by: tm ? block('treemap').group_by : null,
      failures: Array.prototype.map.call(document.querySelectorAll('#failures-table tbody tr'), function (tr) { return tr.dataset.kind; }),
      changes: Array.prototype.map.call(document.querySelectorAll('[data-change]'), function (tr) { return tr.dataset.change; }),
      charts: Array.prototype.map.call(document.querySelectorAll('.chart svg'), function (s) {
        return { region: s.dataset.region, points: s.querySelectorAll('circle').length };
      }),
      growers: document.querySelectorAll('#growers tbody tr').length,
      // The treemap cells' hues (as drawn: after the #zoom of the URL), and the legend's.
      hues: tm ? Array.prototype.map.call(tm.box.querySelectorAll('.cell'), function (c) {
        return [c.dataset.name, c.dataset.hue];
      }) : [],
      legend_hues: Array.prototype.map.call(document.querySelectorAll('#treemap-legend [data-hue]'), function (e) {
        return e.dataset.hue;
      }),
      stack_rows: Array.prototype.map.call(document.querySelectorAll('#stack-table tbody tr'), function (tr) {
        return Array.prototype.map.call(tr.querySelectorAll('td'), text);
      }),
      stack_need: text(document.getElementById('stack-need')),
      limit_marks: Array.prototype.map.call(document.querySelectorAll('#regions tr[data-region]'), function (tr) {
        return [tr.dataset.region, Array.prototype.map.call(tr.querySelectorAll('.bar .limit'), function (l) {
          return [l.className.replace('limit ', ''), l.title];
        })];
      }),
      bar_segments: Array.prototype.map.call(document.querySelectorAll('#regions tr[data-region]'), function (tr) {
        return [tr.dataset.region, Array.prototype.map.call(tr.querySelectorAll('.bar .seg'), function (g) {
          return g.title;
        })];
      }),
      mixed: text(document.getElementById('mixed')),
      // Milliseconds from navigation start to the page drawn, and to the search done.
      drawn_ms: drawnMs,
      searched_ms: Math.round(performance.now()),
      errors: errors
    };
    // Then zoom to the first match, as clicking it in the result list does.
    var first = document.querySelector('#search-results .result');
    if (first) {
      first.click();
      out.zoomed_to = tm.cur.name;
      out.zoom_match_cells = Array.prototype.map.call(tm.box.querySelectorAll('.cell.match'), function (c) { return c.dataset.name; });
      // And hover it.
      var cell = tm.box.querySelector('.cell.match');
      if (cell) {
        var r = cell.getBoundingClientRect();
        cell.dispatchEvent(new MouseEvent('mousemove', { clientX: r.left + 2, clientY: r.top + 2, bubbles: true }));
        out.tooltip = Array.prototype.map.call(tm.tip.children, text);
      }
    }
    document.body.append(h('pre', { id: 'selftest', style: 'display:none' }, JSON.stringify(out)));
  }

  var drawnMs = 0;

  function main() {
    var page = document.body.dataset.page;
    var tm = null;
    if (page === 'dashboard') {
      tm = dashboard(block('dashboard'));
    } else {
      var report = block('report');
      var tree = block('treemap');
      var check = page === 'check' ? block('check') : null;
      if (check) {
        var v = check.status;
        var text = v === 'pass' ? 'Within budget' : v === 'warn' ? 'Within budget, ' + check.warnings.length + ' warning' + (check.warnings.length === 1 ? '' : 's')
          : 'OVER BUDGET: ' + check.failures.length + ' failure' + (check.failures.length === 1 ? '' : 's');
        header(report, 'membudget check', h('div', { class: 'verdict ' + v, id: 'verdict' }, text,
          h('span', { style: 'font-weight:400;font-size:14px' }, '  budget ' + check.budget)));
        findings(check.failures, 'fail', 'Failures', 'failures');
        findings(check.warnings, 'warn', 'Warnings', 'check-warnings');
      } else {
        header(report, 'membudget report');
      }
      regionsTable(report, tree, check, block('limits'));
      if (check) { changes(check); groups(check); }
      stackHeap(report);
      reservations(report);
      tm = treemapSection(report, tree);
      warnings(report.warnings, 'Analysis warnings', 'warnings');
      if (check) warnings(check.notes, 'Notes', 'notes');
    }
    drawnMs = Math.round(performance.now());
    selftest(tm, applyHash(tm));
  }

  try { main(); } catch (e) {
    errors.push(String(e && e.stack || e));
    document.body.append(h('pre', { id: 'selftest', style: 'display:none' }, JSON.stringify({ errors: errors })));
    throw e;
  }
})();
