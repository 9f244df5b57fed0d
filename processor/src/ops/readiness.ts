export interface ReadinessCheck {
  name: string;
  /** Resolves to a problem, or null when fine. */
  check(): Promise<string | null>;
}

export interface Readiness {
  ready: boolean;
  checks: Record<string, string>;
}

const checkTimeoutMs = 2_000;

/** Runs every check (each bounded in time) and reports `ok` or the problem of each. */
export async function readiness(checks: readonly ReadinessCheck[]): Promise<Readiness> {
  const results = await Promise.all(
    checks.map(async ({ name, check }): Promise<[string, string | null]> => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`no answer within ${checkTimeoutMs} ms`), checkTimeoutMs);
      });
      try {
        return [name, await Promise.race([check(), timeout])];
      } catch (error) {
        return [name, error instanceof Error ? error.message : String(error)];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return {
    ready: results.every(([, problem]) => problem === null),
    checks: Object.fromEntries(results.map(([name, problem]) => [name, problem ?? 'ok'])),
  };
}
