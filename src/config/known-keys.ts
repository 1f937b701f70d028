// The keys the config schema allows at a path, read from its JSON Schema, for "did you mean" on an unknown key.
import { configJsonSchema } from './schema.js';

type Node = Record<string, unknown>;

let root: Node | undefined;

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The node itself and the branches of its anyOf/oneOf/allOf (a field written as a number or an object, say). */
function variants(node: Node): Node[] {
  const out = [node];
  for (const k of ['anyOf', 'oneOf', 'allOf']) {
    const list = node[k];
    if (Array.isArray(list)) for (const b of list) if (isNode(b)) out.push(...variants(b));
  }
  return out;
}

function step(nodes: Node[], part: PropertyKey): Node[] {
  const next: Node[] = [];
  for (const n of nodes.flatMap(variants)) {
    if (typeof part === 'number') {
      if (isNode(n.items)) next.push(n.items);
      continue;
    }
    const props = n.properties;
    const named = isNode(props) ? props[String(part)] : undefined;
    if (isNode(named)) next.push(named);
    else if (isNode(n.additionalProperties)) next.push(n.additionalProperties);
  }
  return next;
}

export function knownKeysAt(path: readonly PropertyKey[]): string[] {
  root ??= configJsonSchema();
  let nodes: Node[] = [root];
  for (const part of path) nodes = step(nodes, part);
  const keys = new Set<string>();
  for (const n of nodes.flatMap(variants)) if (isNode(n.properties)) for (const k of Object.keys(n.properties)) keys.add(k);
  return [...keys];
}
