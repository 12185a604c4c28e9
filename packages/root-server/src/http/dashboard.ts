/**
 * The admin page at `/`: the tree as an indented drawing with each node's state, refreshed every
 * second from `/api/topology` (the same contract other tools use). Self-contained: no CDN.
 */
export function dashboardPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>p2p root</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #1d2330; }
  h1 { font-size: 1.3rem; margin: 0 0 .25rem; }
  #summary { color: #555; margin-bottom: 1rem; }
  pre { font: 13px/1.5 ui-monospace, monospace; background: #f6f7f9; padding: 1rem; border-radius: 6px; }
  .alive { color: #13795b; } .off { color: #b42318; }
  nav a { margin-right: 1rem; }
</style>
</head>
<body>
<h1>p2p root <span id="root"></span></h1>
<div id="summary">loading…</div>
<pre id="tree"></pre>
<nav><a href="/api/topology">/api/topology</a><a href="/metrics">/metrics</a><a href="/healthz">/healthz</a></nav>
<script>
const esc = (s) => String(s).replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]);
function draw(topology) {
  const children = new Map();
  for (const node of topology.nodes) {
    if (!node.alive) continue;
    const list = children.get(node.parent) || [];
    list.push(node);
    children.set(node.parent, list);
  }
  const lines = [esc(topology.root) + ' (root)'];
  const walk = (key, prefix) => {
    const list = children.get(key) || [];
    list.forEach((node, i) => {
      const last = i === list.length - 1;
      lines.push(prefix + (last ? '└── ' : '├── ') + '<span class="alive">' + esc(node.address) + '</span>');
      walk(node.address, prefix + (last ? '    ' : '│   '));
    });
  };
  walk(topology.root, '');
  const off = topology.nodes.filter((n) => !n.alive);
  if (off.length) lines.push('', 'turned off:', ...off.map((n) => '  <span class="off">' + esc(n.address) + '</span>  last seen ' + esc(n.lastSeen)));
  document.getElementById('root').textContent = topology.root;
  document.getElementById('tree').innerHTML = lines.join('\\n');
  const alive = topology.nodes.length - off.length;
  document.getElementById('summary').textContent =
    topology.nodes.length + ' registered, ' + alive + ' alive, ' + off.length + ' turned off — updated ' + new Date().toLocaleTimeString();
}
async function refresh() {
  try {
    const response = await fetch('/api/topology', { cache: 'no-store' });
    draw(await response.json());
  } catch (error) {
    document.getElementById('summary').textContent = 'root unreachable: ' + error.message;
  }
  setTimeout(refresh, 1000);
}
refresh();
</script>
</body>
</html>
`;
}
