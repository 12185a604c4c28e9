/**
 * The dashboard at `/`: a shell that loads its script, its styles and the tree layout library
 * from this server (no CDN: it works with no internet). The data comes from `/api/topology`
 * (the contract other tools use) and `/api/stats`; `/api/events` tells when to refresh.
 */
export function dashboardPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>p2p root — live topology</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/dashboard.css">
</head>
<body>
<header>
  <h1>p2p tree <span id="root-address"></span></h1>
  <span id="connection" class="connection">connecting…</span>
</header>
<section id="counters" aria-label="counters">
  <div><span class="value" id="stat-registered">–</span><span class="label">registered</span></div>
  <div><span class="value" id="stat-alive">–</span><span class="label">alive</span></div>
  <div><span class="value" id="stat-depth">–</span><span class="label">depth</span></div>
  <div><span class="value" id="stat-messages">–</span><span class="label">messages/s</span></div>
  <div><span class="value" id="stat-hellos">–</span><span class="label">hellos/s</span></div>
  <div><span class="value" id="stat-drops">–</span><span class="label">drops</span></div>
</section>
<main>
  <div id="tree" aria-label="the tree"><svg id="canvas" role="img" aria-label="the tree, root on top"></svg></div>
  <aside>
    <div class="legend">
      <span><i class="dot root"></i>root</span>
      <span><i class="dot alive"></i>alive</span>
      <span><i class="dot off"></i>turned off</span>
      <p id="tree-note" class="hint"></p>
    </div>
    <div id="details"><p class="hint">Click a node for its details.</p></div>
    <div id="turned-off"></div>
  </aside>
</main>
<script src="/assets/d3-hierarchy.min.js"></script>
<script src="/assets/dashboard.js"></script>
</body>
</html>
`;
}
