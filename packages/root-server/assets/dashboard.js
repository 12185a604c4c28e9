// The live topology dashboard (served by the root's admin HTTP server). Plain browser
// JavaScript: the tree comes from /api/topology, counters from /api/stats, and /api/events says
// when the tree changed. Elements are kept per node and moved, not re-created, so that a tree of
// a thousand nodes redraws smoothly.
(() => {
  const svgNs = 'http://www.w3.org/2000/svg';
  const svg = document.getElementById('canvas');
  const edges = document.createElementNS(svgNs, 'path');
  edges.setAttribute('class', 'edges');
  svg.appendChild(edges);
  const layer = document.createElementNS(svgNs, 'g');
  svg.appendChild(layer);
  const elements = new Map(); // address -> <g>
  let topology = { root: '', nodes: [] };
  let selected = null;
  let lastDrawMs = 0;

  const text = (id, value) => {
    document.getElementById(id).textContent = value;
  };

  function nodeElement(address) {
    let g = elements.get(address);
    if (g !== undefined) return g;
    g = document.createElementNS(svgNs, 'g');
    g.setAttribute('class', 'node');
    g.dataset.address = address;
    const circle = document.createElementNS(svgNs, 'circle');
    circle.setAttribute('r', '6');
    const label = document.createElementNS(svgNs, 'text');
    label.setAttribute('dy', '-10');
    label.setAttribute('text-anchor', 'middle');
    label.textContent = address;
    const title = document.createElementNS(svgNs, 'title');
    title.textContent = address;
    g.append(circle, label, title);
    g.addEventListener('click', () => select(address));
    layer.appendChild(g);
    elements.set(address, g);
    return g;
  }

  function draw() {
    const started = performance.now();
    const alive = topology.nodes.filter((n) => n.alive && n.parent !== null);
    const rows = [{ address: topology.root, parent: null }, ...alive];
    const known = new Set(rows.map((r) => r.address));
    // A node whose parent is not in the tree (moving right now) waits for the next update.
    const placed = rows.filter((r) => r.parent === null || known.has(r.parent));
    let root;
    try {
      root = d3
        .stratify()
        .id((d) => d.address)
        .parentId((d) => d.parent)(placed);
    } catch {
      return; // a transient inconsistency while nodes move; the next event redraws
    }
    const compact = placed.length > 120;
    const dx = compact ? 16 : 140;
    let dy = 80;
    let radius = 6;
    if (compact) {
      // Fitted to the panel: spread the levels so the drawing fills its height as well.
      const panel = document.getElementById('tree');
      const leaves = root.leaves().length;
      const scale = panel.clientWidth / ((leaves + 2) * dx);
      dy = Math.max(40, (panel.clientHeight / scale - 60) / (root.height + 1));
      radius = Math.max(5, 3.5 / scale);
    }
    d3.tree().nodeSize([dx, dy])(root);
    let minX = 0;
    let maxX = 0;
    root.each((n) => {
      minX = Math.min(minX, n.x);
      maxX = Math.max(maxX, n.x);
    });
    const width = maxX - minX + dx * 2;
    const height = (root.height + 1) * dy + 40;
    // A small tree is drawn at full size; a big one is fitted into the panel to show its shape.
    svg.setAttribute('width', compact ? '100%' : String(Math.max(width, 300)));
    svg.setAttribute('height', compact ? '100%' : String(height));
    svg.setAttribute('preserveAspectRatio', 'xMidYMin meet');
    svg.setAttribute('viewBox', `${minX - dx} -30 ${Math.max(width, 300)} ${height}`);
    svg.classList.toggle('compact', compact);

    let path = '';
    const seen = new Set();
    root.each((n) => {
      seen.add(n.id);
      const g = nodeElement(n.id);
      g.setAttribute('transform', `translate(${n.x},${n.y})`);
      g.firstChild.setAttribute('r', String(radius)); // an attribute, not CSS: every browser scales it
      g.dataset.state = n.parent === null ? 'root' : 'alive';
      if (n.parent !== null) path += `M${n.parent.x},${n.parent.y}L${n.x},${n.y}`;
    });
    edges.setAttribute('d', path);
    for (const [address, g] of elements) {
      if (seen.has(address)) continue;
      g.remove();
      elements.delete(address);
    }
    drawTurnedOff();
    if (selected !== null) showDetails(selected);
    lastDrawMs = performance.now() - started;
    svg.dataset.drawMs = lastDrawMs.toFixed(1);
    svg.dataset.nodes = String(placed.length);
  }

  function drawTurnedOff() {
    const off = topology.nodes.filter((n) => !n.alive);
    const box = document.getElementById('turned-off');
    box.replaceChildren();
    if (off.length === 0) return;
    const heading = document.createElement('h2');
    heading.textContent = `turned off (${off.length})`;
    const list = document.createElement('ul');
    for (const node of off.slice(0, 200)) {
      const item = document.createElement('li');
      item.dataset.address = node.address;
      item.dataset.state = 'off';
      item.textContent = node.address;
      item.addEventListener('click', () => select(node.address));
      list.appendChild(item);
    }
    box.append(heading, list);
  }

  function select(address) {
    if (selected !== null) elements.get(selected)?.classList.remove('selected');
    selected = address;
    elements.get(address)?.classList.add('selected');
    showDetails(address);
  }

  function showDetails(address) {
    const details = document.getElementById('details');
    const isRoot = address === topology.root;
    const node = topology.nodes.find((n) => n.address === address);
    if (!isRoot && node === undefined) {
      details.innerHTML = '<p class="hint">That node is no longer registered.</p>';
      return;
    }
    const rootChildren = topology.nodes
      .filter((n) => n.alive && n.parent === topology.root)
      .map((n) => n.address);
    const fields = isRoot
      ? [
          ['address', address],
          ['role', 'root'],
          ['children', rootChildren.join(', ') || '(none)'],
        ]
      : [
          ['address', node.address],
          ['state', node.alive ? 'alive' : 'turned off'],
          ['parent', node.parent ?? '(none)'],
          ['children', node.children.join(', ') || '(none)'],
          ['depth', node.depth ?? '–'],
          ['last hello', new Date(node.lastSeen).toLocaleTimeString()],
          ['framing', node.framing],
        ];
    const list = document.createElement('dl');
    for (const [name, value] of fields) {
      const dt = document.createElement('dt');
      dt.textContent = name;
      const dd = document.createElement('dd');
      dd.textContent = String(value);
      dd.dataset.field = name;
      list.append(dt, dd);
    }
    details.replaceChildren(list);
  }

  let fetching = false;
  let again = false;
  async function refreshTopology() {
    if (fetching) {
      again = true;
      return;
    }
    fetching = true;
    try {
      const response = await fetch('/api/topology', { cache: 'no-store' });
      topology = await response.json();
      text('root-address', topology.root);
      draw();
    } finally {
      fetching = false;
      if (again) {
        again = false;
        refreshTopology();
      }
    }
  }

  async function refreshStats() {
    try {
      const stats = await (await fetch('/api/stats', { cache: 'no-store' })).json();
      text('stat-registered', stats.registered);
      text('stat-alive', stats.alive);
      text('stat-depth', stats.depth);
      text('stat-messages', stats.messagesPerSecond.toFixed(1));
      text('stat-hellos', stats.hellosPerSecond.toFixed(1));
      text('stat-drops', stats.drops);
    } catch {
      // The connection indicator says the root is unreachable.
    }
  }

  const connection = document.getElementById('connection');
  const events = new EventSource('/api/events');
  events.addEventListener('hello', () => {
    connection.textContent = 'live';
    connection.className = 'connection live';
    refreshTopology();
  });
  events.addEventListener('topology', () => refreshTopology());
  events.addEventListener('error', () => {
    connection.textContent = 'root unreachable, reconnecting…';
    connection.className = 'connection down';
  });
  refreshStats();
  setInterval(refreshStats, 1000);
  // Liveness changes by the clock too (a node goes quiet): refresh now and then regardless.
  setInterval(refreshTopology, 5000);
  window.p2pDashboard = { lastDrawMs: () => lastDrawMs, redraw: draw };
})();
