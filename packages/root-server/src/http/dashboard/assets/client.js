// The live topology dashboard, served by the root's admin HTTP server: plain browser JavaScript
// (standard DOM, SVG, fetch and EventSource; no build step). The tree comes from /api/topology,
// the contract other tools use, and the counters from /api/stats; /api/events (server-sent
// events) says when the tree changed. Node elements are kept per address and moved, never
// re-created, and nothing is laid out again while the tree keeps its shape, so that a tree of a
// thousand nodes updates smoothly.
(() => {
  const svgNs = 'http://www.w3.org/2000/svg';
  /** Up to this many nodes every node is labelled with its address; a bigger tree is fitted to the panel. */
  const LABELLED_MAX = 120;
  /**
   * Pixels between neighbouring labelled nodes: room for half an address (crowded labels take
   * turns above and below their nodes), and no wider than this.
   */
  const SPACING = { min: 64, max: 170 };
  /** Label baselines relative to the node: above, and below when the row above is taken. */
  const LABEL = { above: -10, below: 20, gap: 8 };
  /** Pixels between levels (at most, when fitting a big tree). */
  const LEVEL = 80;
  const MARGIN = { top: 30, bottom: 30, side: 12 };
  /** Turned-off nodes listed beside the tree; the count says how many more there are. */
  const OFF_LISTED = 200;

  const panel = document.getElementById('tree');
  const svg = document.getElementById('canvas');
  const edges = svgElement('path', 'edges');
  const layer = svgElement('g', 'nodes');
  svg.append(edges, layer);

  /** address -> { g, circle, label, x, y, r, dy, state } */
  const items = new Map();
  let topology = { root: '', nodes: [] };
  let drawnShape = '';
  let drawnOff = '';
  let selected = null;
  let scrolledToRoot = false;
  let draws = 0;

  function svgElement(name, className) {
    const element = document.createElementNS(svgNs, name);
    if (className !== undefined) element.setAttribute('class', className);
    return element;
  }

  function setText(id, value) {
    const element = document.getElementById(id);
    const text = String(value);
    if (element.textContent !== text) element.textContent = text;
  }

  function item(address) {
    let found = items.get(address);
    if (found !== undefined) return found;
    const g = svgElement('g', 'node');
    g.dataset.address = address;
    const circle = svgElement('circle');
    const label = svgElement('text');
    label.setAttribute('text-anchor', 'middle');
    label.textContent = address;
    const title = svgElement('title');
    title.textContent = address;
    g.append(circle, label, title);
    g.addEventListener('click', () => select(address));
    if (address === selected) g.classList.add('selected');
    layer.appendChild(g);
    found = { g, circle, label, x: Number.NaN, y: Number.NaN, r: 0, dy: 0, state: '' };
    items.set(address, found);
    return found;
  }

  /** Draws what changed since the last draw: the tree's layout only when its shape changed. */
  function draw() {
    const rows = [];
    for (const node of topology.nodes) if (node.alive && node.parent !== null) rows.push(node);
    let shape = `${topology.root} ${panel.clientWidth}x${panel.clientHeight}`;
    for (const row of rows) shape += ` ${row.address}<${row.parent}`;
    if (shape !== drawnShape) {
      const started = performance.now();
      layout(rows);
      drawnShape = shape;
      draws++;
      svg.dataset.drawMs = (performance.now() - started).toFixed(1);
      svg.dataset.draws = String(draws);
    }
    drawTurnedOff();
    if (selected !== null) showDetails(selected);
  }

  /** Width of a label in pixels, from one measurement of the label font. */
  let charWidth = 0;
  function labelWidth(address) {
    if (charWidth === 0) {
      const probe = svgElement('text');
      probe.setAttribute('class', 'probe');
      probe.textContent = '0000000000';
      svg.appendChild(probe);
      charWidth = probe.getComputedTextLength() / 10 || 7;
      probe.remove();
    }
    return address.length * charWidth;
  }

  function layout(rows) {
    // Parent pointers to child lists; a node whose parent is not in the tree (it is being moved
    // right now) is simply not reached from the root, and the next update draws it.
    const children = new Map();
    for (const row of rows) {
      const list = children.get(row.parent);
      if (list === undefined) children.set(row.parent, [row.address]);
      else list.push(row.address);
    }
    const root = d3.hierarchy(topology.root, (address) => children.get(address));
    d3.tree().nodeSize([1, 1])(root); // x in sibling distances, y = depth
    let minX = 0;
    let maxX = 0;
    let count = 0;
    const perDepth = [];
    root.each((n) => {
      minX = Math.min(minX, n.x);
      maxX = Math.max(maxX, n.x);
      perDepth[n.depth] = (perDepth[n.depth] ?? 0) + 1;
      count++;
    });
    const span = maxX - minX;
    const width = panel.clientWidth;
    const height = panel.clientHeight;
    const labelled = count <= LABELLED_MAX;
    let unit;
    let level;
    let radius;
    let side;
    if (labelled) {
      // At least room for half an address between neighbours (the panel scrolls when it must),
      // at most a comfortable spacing, centred in the panel.
      side = labelWidth(topology.root) / 2 + MARGIN.side;
      const fit = span === 0 ? SPACING.max : (width - 2 * side) / span;
      unit = Math.min(SPACING.max, Math.max(SPACING.min, fit));
      level = LEVEL;
      radius = () => 6;
    } else {
      // The whole tree fitted to the panel to show its shape; addresses on hover and click. Dots
      // are as big as the room at their depth allows.
      side = MARGIN.side;
      unit = span === 0 ? 0 : (width - 2 * side) / span;
      level = Math.min(LEVEL, (height - MARGIN.top - MARGIN.bottom) / Math.max(1, root.height));
      const room = (depth) => (width - 2 * side) / (perDepth[depth] ?? 1);
      radius = (depth) => Math.max(2, Math.min(5, Math.round(room(depth) * 0.3 * 2) / 2));
    }
    const svgWidth = Math.max(width, span * unit + 2 * side);
    const svgHeight = labelled
      ? Math.max(height, MARGIN.top + root.height * level + MARGIN.bottom)
      : height;
    const left = (svgWidth - span * unit) / 2 - minX * unit;
    svg.setAttribute('width', String(Math.floor(svgWidth)));
    svg.setAttribute('height', String(Math.floor(svgHeight)));
    svg.classList.toggle('compact', !labelled);
    let note = '';
    if (!labelled)
      note = `${count.toLocaleString()} nodes fitted to the panel: hover or click a node for its address.`;
    else if (svgWidth > width) note = `${count} nodes: scroll sideways for the whole tree.`;
    setText('tree-note', note);

    let path = '';
    const seen = new Set();
    // Where the last label above and below ends, on the row being drawn.
    let row = -1;
    let aboveEnd = Number.NEGATIVE_INFINITY;
    let belowEnd = Number.NEGATIVE_INFINITY;
    root.each((n) => {
      // Breadth-first: a parent's position is set before its children's.
      n.px = Math.round((left + n.x * unit) * 10) / 10;
      n.py = Math.round((MARGIN.top + n.depth * level) * 10) / 10;
      const node = item(n.data);
      seen.add(n.data);
      if (node.x !== n.px || node.y !== n.py) {
        node.g.setAttribute('transform', `translate(${n.px},${n.py})`);
        node.x = n.px;
        node.y = n.py;
      }
      const r = radius(n.depth);
      if (node.r !== r) {
        node.circle.setAttribute('r', String(r)); // an attribute: every browser honours it
        node.r = r;
      }
      if (labelled) {
        // Left to right along a row (breadth-first order): above, unless that would overlap the
        // previous label above and below is free.
        if (n.depth !== row) {
          row = n.depth;
          aboveEnd = Number.NEGATIVE_INFINITY;
          belowEnd = Number.NEGATIVE_INFINITY;
        }
        const half = labelWidth(n.data) / 2;
        const below = n.px - half < aboveEnd + LABEL.gap && n.px - half >= belowEnd + LABEL.gap;
        if (below) belowEnd = n.px + half;
        else aboveEnd = n.px + half;
        const dy = below ? LABEL.below : LABEL.above;
        if (node.dy !== dy) {
          node.label.setAttribute('dy', String(dy));
          node.dy = dy;
        }
      }
      const state = n.parent === null ? 'root' : 'alive';
      if (node.state !== state) {
        node.g.dataset.state = state;
        node.state = state;
      }
      if (n.parent !== null) path += `M${n.parent.px},${n.parent.py}L${n.px},${n.py}`;
    });
    edges.setAttribute('d', path);
    for (const [address, node] of items) {
      if (seen.has(address)) continue;
      node.g.remove();
      items.delete(address);
    }
    svg.dataset.nodes = String(count);
    if (labelled && svgWidth > width && !scrolledToRoot) {
      // Wider than the panel: start with the root in view (once; then the reader scrolls).
      panel.scrollLeft = root.px - width / 2;
      scrolledToRoot = true;
    }
  }

  function drawTurnedOff() {
    const off = topology.nodes.filter((n) => !n.alive);
    const shape = off.map((n) => n.address).join(' ');
    if (shape === drawnOff) return;
    drawnOff = shape;
    const box = document.getElementById('turned-off');
    box.replaceChildren();
    if (off.length === 0) return;
    const heading = document.createElement('h2');
    heading.textContent = `turned off (${off.length.toLocaleString()})`;
    const list = document.createElement('ul');
    for (const node of off.slice(0, OFF_LISTED)) {
      const entry = document.createElement('li');
      entry.dataset.address = node.address;
      entry.dataset.state = 'off';
      entry.textContent = node.address;
      entry.addEventListener('click', () => select(node.address));
      list.appendChild(entry);
    }
    box.append(heading, list);
    if (off.length > OFF_LISTED) {
      const more = document.createElement('p');
      more.className = 'hint';
      more.textContent = `and ${(off.length - OFF_LISTED).toLocaleString()} more`;
      box.append(more);
    }
  }

  function select(address) {
    if (selected !== null) items.get(selected)?.g.classList.remove('selected');
    selected = address;
    items.get(address)?.g.classList.add('selected');
    showDetails(address);
  }

  function lastHello(iso) {
    const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    return `${new Date(iso).toLocaleTimeString()} (${seconds} s ago)`;
  }

  function showDetails(address) {
    const details = document.getElementById('details');
    let fields;
    if (address === topology.root) {
      const children = topology.nodes.filter((n) => n.alive && n.parent === address);
      fields = [
        ['address', address],
        ['state', 'root'],
        ['parent', '(none)'],
        ['children', children.map((n) => n.address).join(', ') || '(none)'],
        ['depth', 0],
      ];
    } else {
      const node = topology.nodes.find((n) => n.address === address);
      if (node === undefined) {
        const gone = document.createElement('p');
        gone.className = 'hint';
        gone.textContent = `${address} is no longer registered.`;
        details.replaceChildren(gone);
        return;
      }
      fields = [
        ['address', node.address],
        ['state', node.alive ? 'alive' : 'turned off'],
        ['parent', node.parent ?? '(none)'],
        ['children', node.children.join(', ') || '(none)'],
        ['depth', node.depth ?? '–'],
        ['last hello', lastHello(node.lastSeen)],
        ['framing', node.framing],
      ];
    }
    const list = document.createElement('dl');
    for (const [name, value] of fields) {
      const term = document.createElement('dt');
      term.textContent = name;
      const description = document.createElement('dd');
      description.textContent = String(value);
      description.dataset.field = name;
      list.append(term, description);
    }
    details.replaceChildren(list);
  }

  // At most one fetch of the topology in flight and one waiting; a refresh resolves once a
  // document fetched after it was asked for has been drawn.
  let queue = Promise.resolve();
  let waiting = false;
  function refreshTopology() {
    if (waiting) return queue;
    waiting = true;
    queue = queue.then(async () => {
      waiting = false;
      try {
        const response = await fetch('/api/topology', { cache: 'no-store' });
        if (!response.ok) return;
        topology = await response.json();
        setText('root-address', topology.root);
        draw();
      } catch {
        // The connection indicator says the root is unreachable; the next event retries.
      }
    });
    return queue;
  }

  async function refreshStats() {
    try {
      const response = await fetch('/api/stats', { cache: 'no-store' });
      if (!response.ok) return;
      const stats = await response.json();
      setText('stat-registered', stats.registered.toLocaleString());
      setText('stat-alive', stats.alive.toLocaleString());
      setText('stat-depth', stats.depth);
      setText('stat-messages', stats.messagesPerSecond.toFixed(1));
      setText('stat-hellos', stats.hellosPerSecond.toFixed(1));
      setText('stat-drops', stats.drops.toLocaleString());
    } catch {
      // As above.
    }
  }

  function refresh() {
    refreshStats();
    return refreshTopology();
  }

  const connection = document.getElementById('connection');
  const events = new EventSource('/api/events');
  events.addEventListener('hello', () => {
    connection.textContent = 'live';
    connection.className = 'connection live';
    refresh();
  });
  events.addEventListener('topology', refresh);
  events.addEventListener('error', () => {
    connection.textContent = 'root unreachable, reconnecting…';
    connection.className = 'connection down';
  });
  let resizing = false;
  window.addEventListener('resize', () => {
    if (resizing) return;
    resizing = true;
    requestAnimationFrame(() => {
      resizing = false;
      draw();
    });
  });
  // Rates move every second; last hellos move without a change of the tree.
  setInterval(refreshStats, 1000);
  setInterval(refreshTopology, 5000);
  window.p2pDashboard = { refresh: refreshTopology };
})();
