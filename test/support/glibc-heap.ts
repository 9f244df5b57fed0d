import { readFileSync } from 'node:fs';

/** glibc gives every arena but the main one a heap reserved at a 64 MiB boundary (HEAP_MAX_SIZE on 64-bit Linux). */
const arenaHeapSize = 64n * 1024n * 1024n;

/**
 * Resident bytes of glibc's malloc heaps in a process, read from /proc/PID/smaps: the main arena (`[heap]`) and
 * the others (a read-write mapping at a 64 MiB boundary, the rest of its 64 MiB reserved `---p` right after it).
 * What C and C++ code allocates with malloc or `new` lives there (DuckDB's table metadata among it), apart from
 * blocks big enough for a mapping of their own; V8's heap and DuckDB's data buffers are elsewhere.
 */
export function glibcHeapBytes(pid: number | 'self' = 'self'): number {
  const mappings: Array<{ start: bigint; end: bigint; permissions: string; name: string; rss: number }> = [];
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const mapping = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \d+ *(.*)$/.exec(line);
    if (mapping !== null) {
      const [, start = '', end = '', permissions = '', name = ''] = mapping;
      mappings.push({ start: BigInt(`0x${start}`), end: BigInt(`0x${end}`), permissions, name, rss: 0 });
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    const last = mappings.at(-1);
    if (rss !== null && last !== undefined) last.rss = Number(rss[1]) * 1024;
  }
  return mappings.reduce((bytes, mapping, i) => {
    if (mapping.name === '[heap]') return bytes + mapping.rss;
    if (mapping.name !== '' || !mapping.permissions.startsWith('rw') || mapping.start % arenaHeapSize !== 0n) return bytes;
    const reserved = mappings[i + 1];
    const fullHeap = mapping.end - mapping.start === arenaHeapSize;
    const heapWithReserve = reserved?.permissions.startsWith('---') === true && reserved.start === mapping.end && reserved.end === mapping.start + arenaHeapSize;
    return fullHeap || heapWithReserve ? bytes + mapping.rss : bytes;
  }, 0);
}
