/**
 * Every export of the four packages (what each package's index makes public) is documented where
 * it is defined: its declaration is directly preceded by a doc comment.
 */
import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

/** The public names of a module and where each is declared: [file, name] pairs, following re-exports. */
function publicDeclarations(file: string, only?: Set<string>, seen = new Set<string>()): [string, string][] {
  const key = `${file}|${only ? [...only].sort().join(',') : '*'}`;
  if (seen.has(key)) return [];
  seen.add(key);
  const src = readFileSync(file, 'utf8');
  const out: [string, string][] = [];
  const target = (spec: string) => resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
  for (const m of src.matchAll(/^export \* from '(\.[^']+)';/gm)) out.push(...publicDeclarations(target(m[1]), only, seen));
  for (const m of src.matchAll(/^export (?:type )?\{([^}]+)\} from '(\.[^']+)';/gm)) {
    const names = m[1].split(',').map((s) => s.trim().replace(/^type\s+/, '')).filter(Boolean)
      .map((s) => s.split(/\s+as\s+/)) // [local, exported]
      .filter(([, exported = '']) => !only || only.has(exported) || only.has(exported || ''));
    const wanted = new Set(names.filter(([l, e]) => !only || only.has(e ?? l)).map(([l]) => l));
    if (wanted.size) out.push(...publicDeclarations(target(m[2]), wanted, seen));
  }
  for (const m of src.matchAll(/^export (?:declare )?(?:async )?(?:abstract )?(?:function|class|interface|type|const|let|enum)\s+([A-Za-z0-9_$]+)/gm)) {
    if (!only || only.has(m[1])) out.push([file, m[1]]);
  }
  return out;
}

/** Whether the declaration of `name` in `file` has a doc comment right above it. */
function documented(file: string, name: string): boolean {
  const lines = readFileSync(file, 'utf8').split('\n');
  const at = lines.findIndex((l) => new RegExp(`^export (?:declare )?(?:async )?(?:abstract )?(?:function|class|interface|type|const|let|enum)\\s+${name.replace('$', '\\$')}\\b`).test(l));
  if (at < 0) return false;
  let j = at - 1;
  while (j >= 0 && /^\s*\/\//.test(lines[j])) j--;
  return j >= 0 && /\*\/\s*$/.test(lines[j]);
}

describe('public API documentation', () => {
  for (const pkg of ['tensor', 'autograd', 'gridscore', 'navrnn']) {
    it(`@gridcells/${pkg}: every export has a doc comment where it is defined`, () => {
      const index = join(ROOT, 'packages', pkg, 'src', 'index.ts');
      expect(existsSync(index)).toBe(true);
      const decls = publicDeclarations(index);
      expect(decls.length).toBeGreaterThan(5);
      const missing = decls.filter(([f, n]) => !documented(f, n)).map(([f, n]) => `${f.slice(ROOT.length + 1)}: ${n}`);
      expect(missing).toEqual([]);
    });
  }
});
