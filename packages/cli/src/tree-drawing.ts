/** A node of a tree to draw: its address and parent (null for nodes outside the tree). */
export interface DrawableNode {
  address: string;
  parent: string | null;
  alive: boolean;
}

/**
 * The tree as indented text, root on top:
 *
 *     127.0.0.1:5353 (root)
 *     ├── 127.0.0.1:6501
 *     │   └── 127.0.0.1:6503
 *     └── 127.0.0.1:6502
 */
export function drawTree(root: string, nodes: readonly DrawableNode[]): string {
  const children = new Map<string, string[]>();
  for (const node of nodes) {
    if (!node.alive || node.parent === null) continue;
    const list = children.get(node.parent) ?? [];
    list.push(node.address);
    children.set(node.parent, list);
  }
  const lines = [`${root} (root)`];
  const walk = (key: string, prefix: string) => {
    const list = children.get(key) ?? [];
    list.forEach((child, i) => {
      const last = i === list.length - 1;
      lines.push(`${prefix}${last ? '└── ' : '├── '}${child}`);
      walk(child, prefix + (last ? '    ' : '│   '));
    });
  };
  walk(root, '');
  const outside = nodes.filter((n) => !n.alive || n.parent === null);
  if (outside.length > 0)
    lines.push(`not in the tree: ${outside.map((n) => n.address).join(', ')}`);
  return lines.join('\n');
}
