// Renders the config reference (docs/config.md) from the JSON Schema, so the docs can never drift from the validator.

interface SchemaNode {
  type?: string | string[];
  description?: string;
  default?: unknown;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode | SchemaNode[];
  prefixItems?: SchemaNode[];
  enum?: unknown[];
  anyOf?: SchemaNode[];
  additionalProperties?: SchemaNode | boolean;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
}

function typeOf(node: SchemaNode): string {
  if (node.enum) return node.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  if (node.anyOf) return node.anyOf.map(typeOf).join(' \\| ');
  if (node.type === 'array' && node.prefixItems) return `[${node.prefixItems.map(typeOf).join(', ')}]`;
  if (node.type === 'array') {
    const items = Array.isArray(node.items) ? node.items.map(typeOf).join(', ') : node.items ? typeOf(node.items) : 'any';
    return Array.isArray(node.items) ? `[${items}]` : `${items}[]`;
  }
  if (node.type === 'object' && !node.properties && typeof node.additionalProperties === 'object') return `map of ${typeOf(node.additionalProperties)}`;
  return Array.isArray(node.type) ? node.type.join(' \\| ') : node.type ?? 'any';
}

function rows(node: SchemaNode, prefix: string, out: string[]): void {
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    if (key === '$schema') continue;
    const name = prefix ? `${prefix}.${key}` : key;
    const dflt = child.default === undefined || (typeof child.default === 'object' && child.default !== null && Object.keys(child.default).length === 0) ? '' : `\`${JSON.stringify(child.default)}\``;
    if (child.type === 'object' && child.properties) {
      out.push(`| \`${name}\` | object | | ${child.description ?? ''} |`);
      rows(child, name, out);
    } else if (child.type === 'array' && child.items && !Array.isArray(child.items) && child.items.properties) {
      out.push(`| \`${name}\` | ${typeOf(child)} | | ${child.description ?? ''} |`);
      rows(child.items, `${name}[]`, out);
    } else {
      out.push(`| \`${name}\` | ${typeOf(child)} | ${dflt} | ${(child.description ?? '').replace(/\|/g, '\\|')} |`);
    }
  }
}

export function renderConfigDocs(schema: Record<string, unknown>): string {
  const out = ['| key | type | default | meaning |', '|---|---|---|---|'];
  rows(schema as SchemaNode, '', out);
  return `${out.join('\n')}\n`;
}
