/**
 * Summarizes a V8 .cpuprofile (from `node --cpu-prof`): where the time went by package / Latch area,
 * the top functions by self time, and the top Latch functions by total (inclusive) time.
 *
 *   node bench/profile-summary.mjs <file.cpuprofile> [top=25]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

function place(url) {
  if (!url) return '(native / V8)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const dist = /\/dist\/([^/]+)(?:\/([^/]+))?/.exec(url);
  if (dist) return `latch ${dist[1]}${dist[2] && !dist[2].endsWith('.js') ? `/${dist[2]}` : ''}`;
  return url.replace(/^file:\/\//, '').split('/').slice(-2).join('/');
}

function label(frame) {
  const file = frame.url ? frame.url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules|dist)\//, '$1/') : '';
  return `${frame.functionName || '(anonymous)'} ${file}${file ? `:${frame.lineNumber + 1}` : ''}`;
}

const pct = (part, whole) => `${((100 * part) / whole).toFixed(1)}%`;

export function summarizeProfile(file, top = 25) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  // Self time per node from the sample deltas (more exact than hitCount x interval).
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  let total = 0;
  let idle = 0;
  const selfByFunction = new Map();
  const byPlace = new Map();
  const inclusive = new Map();
  for (const [id, us] of self) {
    const node = byId.get(id);
    total += us;
    const name = node.callFrame.functionName;
    if (name === '(idle)' || name === '(program)' || name === '(garbage collector)') {
      if (name === '(idle)') idle += us;
      const key = name;
      byPlace.set(key, (byPlace.get(key) ?? 0) + us);
      selfByFunction.set(key, (selfByFunction.get(key) ?? 0) + us);
      continue;
    }
    const key = label(node.callFrame);
    selfByFunction.set(key, (selfByFunction.get(key) ?? 0) + us);
    const p = place(node.callFrame.url);
    byPlace.set(p, (byPlace.get(p) ?? 0) + us);
    // Inclusive time of Latch functions: charge every distinct Latch frame on the stack once.
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = byId.get(cur).callFrame;
      if (!frame.url.includes('/dist/')) continue;
      const k = label(frame);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + us);
    }
  }
  const busy = total - idle;
  const rows = (map, n, whole) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => `| ${k.replace(/\|/g, '\\|')} | ${(us / 1000).toFixed(0)} ms | ${pct(us, whole)} |`)
      .join('\n');
  return [
    `Profiled ${(total / 1e6).toFixed(1)} s, of which busy (not idle) ${(busy / 1e6).toFixed(1)} s. Percentages are of the busy time.`,
    '',
    '| where (self time) | time | share |',
    '|---|---|---|',
    rows(new Map([...byPlace].filter(([k]) => k !== '(idle)')), 20, busy),
    '',
    '| function (self time) | time | share |',
    '|---|---|---|',
    rows(new Map([...selfByFunction].filter(([k]) => k !== '(idle)')), top, busy),
    '',
    '| Latch function (total time, callees included) | time | share |',
    '|---|---|---|',
    rows(inclusive, top, busy),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node bench/profile-summary.mjs <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  process.stdout.write(`${summarizeProfile(file, top ? Number(top) : 25)}\n`);
}
