/**
 * Where a database endpoint leads: its list of targets (a node's name and port on 127.0.0.1),
 * checked, compared with the previous list to know which connections a change cuts, described for
 * messages, and chosen from in round robin. Pure; the endpoint holds the sockets.
 */

/** One server an endpoint leads to: a node name and its port on 127.0.0.1. */
export interface EndpointTarget {
  readonly name: string;
  readonly port: number;
}

/** A target is the same only with the same name and port: a node moved to another port is a new target. */
export function targetKey(t: EndpointTarget): string {
  return `${t.name}@${t.port}`;
}

/** What is wrong with a target list, one line per problem; empty when it can be used. */
export function targetProblems(targets: readonly EndpointTarget[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  targets.forEach((t, i) => {
    if (typeof t.name !== 'string' || t.name.length === 0) problems.push(`targets[${i}].name is ${JSON.stringify(t.name)}, expected a non-empty node name`);
    if (!Number.isInteger(t.port) || t.port < 1 || t.port > 65_535) problems.push(`targets[${i}].port is ${t.port}, expected a whole number from 1 to 65535`);
    const key = targetKey(t);
    if (seen.has(key)) problems.push(`targets[${i}] repeats ${t.name} on port ${t.port}, expected each target once`);
    seen.add(key);
  });
  return problems;
}

export interface Retarget {
  /** False when the new list holds the same targets in the same order: nothing to do or report. */
  readonly changed: boolean;
  /** Keys (targetKey) of targets that left the list: their connections are cut. */
  readonly removed: ReadonlySet<string>;
}

/** Compares the current targets with the next ones. */
export function planRetarget(current: readonly EndpointTarget[], next: readonly EndpointTarget[]): Retarget {
  const nextKeys = new Set(next.map(targetKey));
  const removed = new Set(current.map(targetKey).filter((k) => !nextKeys.has(k)));
  const changed = current.length !== next.length || current.some((t, i) => targetKey(t) !== targetKey(next[i]!));
  return { changed, removed };
}

/** `db-a (127.0.0.1:5432), db-b (127.0.0.1:5433)`, or `nothing`. */
export function describeTargets(targets: readonly EndpointTarget[]): string {
  return targets.length === 0 ? 'nothing' : targets.map(describeTarget).join(', ');
}

export function describeTarget(t: EndpointTarget): string {
  return `${t.name} (127.0.0.1:${t.port})`;
}

/** Picks targets in turn; with one target (a writer) always that one. */
export class RoundRobin {
  #next = 0;

  pick(targets: readonly EndpointTarget[]): EndpointTarget | undefined {
    if (targets.length === 0) return undefined;
    const t = targets[this.#next % targets.length];
    this.#next = (this.#next + 1) % targets.length;
    return t;
  }
}
